// Generated from the OpenAPI document of `orca serve` by scripts/gen-client.mjs: change the routes and run `npm run docs`.

export interface paths {
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness (no token needed) */
        get: operations["health"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/execute": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Run one command in a fresh container under limits, and get its output, exit code and files */
        post: operations["execute"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Run records, newest first */
        get: operations["listRuns"];
        put?: never;
        /** Start a run of a pipeline file of the served project */
        post: operations["createRun"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A run record (the same document as run.json) */
        get: operations["getRun"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runs/{id}/artifacts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The artifacts the run recorded, by job */
        get: operations["listArtifacts"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runs/{id}/artifacts/{job}/{path}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Download one artifact (streamed) */
        get: operations["downloadArtifact"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runs/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Cancel a run of this server (again, or with force=true, to kill without grace) */
        post: operations["cancelRun"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runs/{id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The run's events as Server-Sent Events; ends after run.finished
         * @description Each message has `id:` the event's seq and `data:` the event JSON (components/schemas/Event). After `run.finished` comes one message `event: end` (data `{runId, status, lastSeq}`) and the stream closes. Send `Last-Event-ID` to resume after that seq; a finished run resumed at or past its last event is answered 204, which tells EventSource not to reconnect. A run whose process died ends as `abandoned`.
         */
        get: operations["streamRunEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runs/{id}/graph": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What each job of the run needed, read from its jobs file (for drawing the pipeline) */
        get: operations["getRunGraph"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runs/{id}/jobs/{job}/explain": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What `orca explain JOB` says now: the job's key against the key it was last cached under, and what changed */
        get: operations["explainJob"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runs/{id}/logs/{job}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A job's combined step output, secrets masked */
        get: operations["getJobLog"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runs/{id}/provenance": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The run's attestation: a DSSE envelope of an in-toto Statement with a SLSA Provenance v1 predicate, one line */
        get: operations["getProvenance"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sandboxes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every sandbox recorded, oldest first (gone and expired ones for a day) */
        get: operations["listSandboxes"];
        put?: never;
        /** Make a sandbox: a container from an allowed image that lives until its time-to-live ends */
        post: operations["createSandbox"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sandboxes/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One sandbox */
        get: operations["getSandbox"];
        put?: never;
        post?: never;
        /** Remove a sandbox and its container */
        delete: operations["deleteSandbox"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sandboxes/{id}/exec": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Run a command in a sandbox; its output streamed as NDJSON, then its exit code
         * @description The reply is `application/x-ndjson`: one line per chunk of output, `{"type":"output","stream":"stdout"|"stderr","text"}` (or `"base64"` for bytes that are not UTF-8), and a last line `{"type":"exit","exitCode"}` (`null` when it could not be learnt), or `{"type":"error","message"}`.
         */
        post: operations["execInSandbox"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sandboxes/{id}/files": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Download a file or folder of the sandbox as a tar */
        get: operations["getSandboxFiles"];
        /**
         * Upload a tar, extracted under `path` in the sandbox once all of it passed the checks
         * @description The body is a tar (`application/x-tar`). Refused whole (400 `unsafe_archive`) when an entry is absolute or climbs out with `..`, a link leads out of the archive, a hard link names no file of it, or it is over the size or entry caps; folders are made as files need them.
         */
        put: operations["putSandboxFiles"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sandboxes/{id}/ports/{port}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A TCP connection to a port of the sandbox over a WebSocket
         * @description Upgrade to a WebSocket: the server connects to the port on the sandbox's address on its network and relays bytes both ways as binary frames; either side closing ends both. A sandbox with `network: none` has no address: 409 `no_network`. A port nothing listens on: 502 `port_unreachable`.
         */
        get: operations["sandboxPort"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sandboxes/{id}/shell": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A terminal in the sandbox over a WebSocket
         * @description Upgrade to a WebSocket (the bearer token in the Authorization header of the upgrade request, never in the URL). Binary frames carry the terminal's bytes both ways; text frames carry JSON: `{"type":"resize","columns","rows"}` from the client, and `{"type":"exit","exitCode"}` from the server last, before it closes.
         */
        get: operations["sandboxShell"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sandboxes/{id}/touch": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Extend a sandbox: it expires `ttl` (default its own time-to-live) from now */
        post: operations["touchSandbox"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/session": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's key: its name and scopes (a server without keys or a token answers for an open key with every scope) */
        get: operations["getSession"];
        put?: never;
        /** Exchange the bearer token for an HttpOnly session cookie (for browsers) */
        post: operations["openSession"];
        /** Log out: forget the session and clear its cookie */
        delete: operations["closeSession"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/uploads": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Store files by digest: a tar whose entries are regular files named by the SHA-256 of their content
         * @description Entries with any other name or type, or whose bytes have another digest, are refused (400); nothing is extracted anywhere but into the content store, so a path in the tar can reach nothing. The store keeps at most its size cap, dropping the least recently used content first.
         */
        post: operations["uploadBlobs"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/uploads/missing": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Which of these SHA-256 digests the server lacks (send only those with POST /v1/uploads) */
        post: operations["missingUploads"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Webhook deliveries of this server (the newest 1000), newest first, with every attempt */
        get: operations["listWebhookDeliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        Artifact: {
            job: string;
            /** @description Permission bits, as the job left them. */
            mode?: number;
            /** @description As under the job's workdir, `/`-separated. */
            path: string;
            sha256: string;
            size: number;
            /** @description Download path on this server. */
            url: string;
        };
        Cancelling: {
            id: string;
            /** @enum {unknown} */
            state: "cancelling";
        };
        Error: {
            error: {
                /** @description Stable machine-readable code, e.g. `unauthorized`, `not_found`, `pipeline_not_allowed`, `invalid_pipeline`. */
                code: string;
                /** @description Positioned problems of the pipeline: file, position, key path and what was expected; never a value of the file. */
                diagnostics?: {
                    column?: number;
                    file: string;
                    line?: number;
                    message: string;
                    path: string;
                }[];
                hint?: string;
                message: string;
            };
        };
        /**
         * orca event
         * @description One event of a run: a line of events.jsonl, an NDJSON line of `orca run --output json`, an SSE `data:` of `orca serve`.
         */
        Event: components["schemas"]["Event.run.started"] | components["schemas"]["Event.image.pull"] | components["schemas"]["Event.image.build"] | components["schemas"]["Event.image.ready"] | components["schemas"]["Event.image.failed"] | components["schemas"]["Event.job.started"] | components["schemas"]["Event.job.container"] | components["schemas"]["Event.step.started"] | components["schemas"]["Event.step.output"] | components["schemas"]["Event.step.finished"] | components["schemas"]["Event.job.artifacts"] | components["schemas"]["Event.job.reports"] | components["schemas"]["Event.job.outputs"] | components["schemas"]["Event.job.finished"] | components["schemas"]["Event.job.retrying"] | components["schemas"]["Event.job.warning"] | components["schemas"]["Event.job.skipped"] | components["schemas"]["Event.run.finished"] | components["schemas"]["Event.cache.remote"] | components["schemas"]["Event.volume.restored"] | components["schemas"]["Event.volume.saved"];
        /**
         * cache.remote
         * @description What the remote cache (cache.remote) did for a job: `lookup` on a local miss, before the job starts; `upload` after it succeeded, in the background (the run waits for uploads before run.finished).
         */
        "Event.cache.remote": {
            /** @description Content files moved. */
            blobs?: number;
            /** @description Downloaded or sent; content already held on the other side is not moved. */
            bytes?: number;
            durationMs: number;
            job: components["schemas"]["Event.jobName"];
            key: string;
            /** @enum {unknown} */
            op: "lookup" | "upload";
            /** @description Why a lookup was not a hit, or an upload failed. */
            reason?: string;
            /**
             * @description lookup: `hit` (downloaded, checked, restored as a local hit), `miss`, `untrusted` (signature missing or wrong), `damaged` (content not matching its manifest), `unavailable` (not reached in time); upload: `uploaded`, `exists` (the remote had it), `failed`.
             * @enum {unknown}
             */
            result: "hit" | "miss" | "untrusted" | "damaged" | "unavailable" | "uploaded" | "exists" | "failed";
            /** @enum {unknown} */
            type: "cache.remote";
        } & WithRequired<components["schemas"]["Event.envelope"], "type">;
        /**
         * @description How the cache treated the job: `disabled` when the job does not use it.
         * @enum {unknown}
         */
        "Event.cacheUse": "hit" | "miss" | "disabled";
        /**
         * @description What cleanup did with the container: `none` when there was none.
         * @enum {unknown}
         */
        "Event.cleanupAction": "removed" | "kept" | "none";
        /** @description Duration in milliseconds. */
        "Event.durationMs": number;
        /** @description Fields every event carries. */
        "Event.envelope": {
            runId: components["schemas"]["Event.runId"];
            /** @description 1-based position in the run's events, gap-free. */
            seq: number;
            /**
             * Format: date-time
             * @description When the event was emitted (ISO 8601, UTC).
             */
            time: string;
            /** @description What happened; selects the event's shape. */
            type: string;
        };
        /** @description Why a job or run ended other than by a step's exit code. */
        "Event.error": {
            /** @description e.g. `infra`, `timeout`, `cancelled`, `artifact`, `service`, `not-cached`. */
            kind: string;
            /** @description For people; secrets masked. */
            message: string;
        };
        /**
         * image.build
         * @description Output of building an image from the project (image: {build: ...}), told to each job that waits for the image; it is part of that job's log.
         */
        "Event.image.build": {
            /** @description The build, as build:<context>[:<dockerfile>][#<target>]. */
            image: string;
            job?: components["schemas"]["Event.jobName"];
            /** @description Output of the builder (masked), one or more whole lines. */
            text: string;
            /** @enum {unknown} */
            type: "image.build";
        } & WithRequired<components["schemas"]["Event.envelope"], "type">;
        /**
         * image.failed
         * @description An image could not be pulled or built: the jobs that use it fail with this message (job.finished, error kind image); the others run.
         */
        "Event.image.failed": {
            /** @description Image reference, or the build. */
            image: string;
            /** @description Why, masked. */
            message: string;
            /** @enum {unknown} */
            type: "image.failed";
        } & WithRequired<components["schemas"]["Event.envelope"], "type">;
        /**
         * image.pull
         * @description Progress of pulling an image (one event per message of the engine: a layer's download or extraction, or the pull as a whole).
         */
        "Event.image.pull": {
            /** @description Bytes done so far. */
            current?: number;
            /** @description Image reference. */
            image: string;
            job?: components["schemas"]["Event.jobName"];
            /** @description The layer the message is about, when it is about one. */
            layer?: string;
            /** @description Engine's progress message. */
            status: string;
            /** @description Bytes in all. */
            total?: number;
            /** @enum {unknown} */
            type: "image.pull";
        } & WithRequired<components["schemas"]["Event.envelope"], "type">;
        /**
         * image.ready
         * @description An image of the run is present: found on the engine, pulled, or built (a build whose tag exists is found). Sent once per distinct image the run made present through the engine.
         */
        "Event.image.ready": {
            durationMs: number;
            /** @description Image reference, or the build. */
            image: string;
            /** @description The image ID. */
            imageId: string;
            /**
             * @description How it came to be there.
             * @enum {unknown}
             */
            source: "present" | "pulled" | "built";
            /** @enum {unknown} */
            type: "image.ready";
        } & WithRequired<components["schemas"]["Event.envelope"], "type">;
        /**
         * job.artifacts
         * @description A job's artifacts: how many, how big, and the manifest file in the run directory that lists each one (path, type, mode, size, sha256; links with their target). Sent once per job with artifact globs, when it succeeded or was restored from the cache.
         */
        "Event.job.artifacts": {
            /** @description Bytes of the files. */
            bytes: number;
            /** @description Files and links collected. */
            count: number;
            job: components["schemas"]["Event.jobName"];
            /** @description The manifest file, relative to the run directory: `artifacts/<job>.json`. */
            manifest: string;
            /** @description SHA-256 of the manifest file; readers check it before trusting what it lists. */
            sha256: string;
            /** @enum {unknown} */
            type: "job.artifacts";
        } & WithRequired<components["schemas"]["Event.envelope"], "type">;
        /**
         * job.container
         * @description The job's container exists.
         */
        "Event.job.container": {
            /** @description The job's attempt (retry:), present from the second on. */
            attempt?: number;
            /** @description Engine id of the container. */
            containerId: string;
            /** @description Resolved image id, e.g. sha256:… */
            imageId: string;
            job: components["schemas"]["Event.jobName"];
            /** @enum {unknown} */
            type: "job.container";
        } & WithRequired<components["schemas"]["Event.envelope"], "type">;
        /**
         * job.finished
         * @description A job reached its final state by running (or by a cache hit).
         */
        "Event.job.finished": {
            /** @description With retry:, the attempt the job ended with; absent when it ran once. */
            attempt?: number;
            cachedFrom?: components["schemas"]["Event.runId"];
            cleanup: components["schemas"]["Event.cleanupAction"];
            durationMs: components["schemas"]["Event.durationMs"];
            error?: components["schemas"]["Event.error"];
            /**
             * @description The job succeeded after an attempt that did not: flaky.
             * @enum {unknown}
             */
            flaky?: true;
            job: components["schemas"]["Event.jobName"];
            /**
             * Format: date-time
             * @description A container kept by its cleanup policy with keep_for: when orca clean and the retention pass of a later run may remove it (absent otherwise).
             */
            keptUntil?: string;
            /**
             * @description The job printed more than its output cap (16 MiB by default): the rest was not recorded; the job ran on and its status is unaffected.
             * @enum {unknown}
             */
            logTruncated?: true;
            /**
             * @description Final state of the job.
             * @enum {unknown}
             */
            status: "succeeded" | "failed" | "timed_out" | "cancelled" | "cached";
            /** @enum {unknown} */
            type: "job.finished";
            /** @description A host job kept by its cleanup policy: the folder it ran in, left in place (absent otherwise). */
            workDir?: string;
        } & WithRequired<components["schemas"]["Event.envelope"], "type">;
        /**
         * job.outputs
         * @description What a job that declares outputs handed to its dependents (secrets masked), after its steps or restored with a cache hit.
         */
        "Event.job.outputs": {
            job: components["schemas"]["Event.jobName"];
            /** @description Value by output name. */
            outputs: {
                [key: string]: string;
            };
            /** @enum {unknown} */
            type: "job.outputs";
        } & WithRequired<components["schemas"]["Event.envelope"], "type">;
        /**
         * job.reports
         * @description A job's JUnit reports, collected after its steps whatever its state (not when cancelled), or restored with a cache hit: their files in the run directory, the counts of all their testcases, and the testcases (the first 5000).
         */
        "Event.job.reports": {
            job: components["schemas"]["Event.jobName"];
            junit: {
                cases: {
                    classname?: string;
                    /** @description The failure's text, cut to a few KiB. */
                    details?: string;
                    /** @description Where the failure is, when the report says. */
                    file?: string;
                    line?: number;
                    message?: string;
                    name: string;
                    /** @enum {unknown} */
                    outcome: "passed" | "failed" | "error" | "skipped";
                    /** @description The <testsuite> it was in (its name, or the file's path). */
                    suite: string;
                    /** @description Seconds. */
                    time?: number;
                }[];
                /** @description Testcases counted but not listed in `cases`. */
                casesOmitted?: number;
                /** @description Testcases that errored. */
                errors: number;
                /** @description Testcases that failed. */
                failures: number;
                files: {
                    bytes: number;
                    /** @description Relative to the run directory: `reports/<job>/<path>`. */
                    path: string;
                    sha256: string;
                }[];
                /** @description Testcases skipped. */
                skipped: number;
                /** @description Testcases in the reports. */
                tests: number;
            };
            /** @enum {unknown} */
            type: "job.reports";
        } & WithRequired<components["schemas"]["Event.envelope"], "type">;
        /**
         * job.retrying
         * @description An attempt of a job with retry: ended without success; the job runs again in a fresh container. Its steps' events until then were that attempt's.
         */
        "Event.job.retrying": {
            /** @description The attempt that ended, from 1. */
            attempt: number;
            durationMs: components["schemas"]["Event.durationMs"];
            error?: components["schemas"]["Event.error"];
            job: components["schemas"]["Event.jobName"];
            /** @description How many attempts the job may have in all (retries + 1). */
            maxAttempts: number;
            /**
             * @description How the attempt ended.
             * @enum {unknown}
             */
            status: "failed" | "timed_out";
            /** @enum {unknown} */
            type: "job.retrying";
        } & WithRequired<components["schemas"]["Event.envelope"], "type">;
        /**
         * job.skipped
         * @description A job will not run: a job it needs did not succeed, fail-fast, or cancel.
         */
        "Event.job.skipped": {
            job: components["schemas"]["Event.jobName"];
            /** @description Why, e.g. `needs build (failed)`. */
            reason: string;
            /** @enum {unknown} */
            type: "job.skipped";
        } & WithRequired<components["schemas"]["Event.envelope"], "type">;
        /**
         * job.started
         * @description A job began (or a group job, with no steps, is being settled).
         */
        "Event.job.started": {
            cache?: components["schemas"]["Event.cacheUse"];
            cachedFrom?: components["schemas"]["Event.runId"];
            /**
             * @description With cache `hit`: `remote` when the entry was downloaded from the remote cache in this run.
             * @enum {unknown}
             */
            cacheSource?: "local" | "remote";
            /**
             * @description The job runs on this machine (runs-on: host), not in a container; absent for a container job.
             * @enum {unknown}
             */
            executor?: "host";
            /** @description Image reference the job runs in. */
            image: string;
            job: components["schemas"]["Event.jobName"];
            /** @description The job's cache key (SHA-256, hex). */
            key?: string;
            /** @enum {unknown} */
            type: "job.started";
        } & WithRequired<components["schemas"]["Event.envelope"], "type">;
        /**
         * job.warning
         * @description Something about a job that did not stop it but that a user should see: a cache entry ignored or removed, an artifact not stored.
         */
        "Event.job.warning": {
            job: components["schemas"]["Event.jobName"];
            /**
             * @description `cache-untrusted`: signing is on and the cache entry's signature was missing or wrong (ignored, removed, the job ran); `cache-damaged`: the entry did not match its manifest (removed, the job ran); `cache-remote`: the remote cache could not be reached or did not take an upload (the run went on without it); `artifact-link-outside`: an artifact link pointing outside the artifacts, stored as nothing; `artifact-name-clash`: two artifacts named alike once secrets were masked (the first was kept); `artifact-clash`: two needs deliver different content at one path (the later need's is placed); `collect-failed`: the artifacts or reports of a job whose end was decided could not be collected; `report-invalid`: a report file that is not a JUnit document (its tests are not counted); `outputs-unreadable`: the outputs file could not be read; `output-invalid`: a line of it that is not an output, or names an undeclared one; `output-secret`: an output holding a secret's value (not handed on). `docker-host`: the job has the host's Docker engine (docker: true) and with it control of the host; `volume-cache`: a keyed volume could not be restored or saved (the job went on with the volume as it was); `cleanup-failed`: the job's container (or a service's) could not be removed or kept as its cleanup policy says (left for `orca clean --leaks`; the job's status unchanged).
             * @enum {unknown}
             */
            kind: "cache-untrusted" | "cache-damaged" | "cache-remote" | "artifact-link-outside" | "artifact-name-clash" | "artifact-clash" | "collect-failed" | "report-invalid" | "outputs-unreadable" | "output-invalid" | "output-secret" | "docker-host" | "volume-cache" | "cleanup-failed";
            /** @description For people; secrets masked. */
            message: string;
            /** @description The artifact concerned (secrets masked). */
            path?: string;
            /** @description The link's target, for `artifact-link-outside`. */
            target?: string;
            /** @enum {unknown} */
            type: "job.warning";
        } & WithRequired<components["schemas"]["Event.envelope"], "type">;
        /** @description Job name as in jobs.yml. */
        "Event.jobName": string;
        /** @description The run's attestation (docs/provenance.md): a DSSE envelope of an in-toto Statement with a SLSA Provenance v1 predicate. */
        "Event.provenance": {
            /** @description SHA-256 of the signing key's public key (DER SubjectPublicKeyInfo), hex; null when unsigned. */
            keyId: string | null;
            /** @description The file, relative to the run directory: provenance.intoto.jsonl. */
            path: string;
            /** @description SHA-256 of the file. */
            sha256: string;
            /** @description Whether the envelope carries a signature (false: no signing key was configured). */
            signed: boolean;
        };
        /**
         * run.finished
         * @description The run ended; always the last event of a run.
         */
        "Event.run.finished": {
            durationMs: components["schemas"]["Event.durationMs"];
            error?: components["schemas"]["Event.error"];
            provenance?: components["schemas"]["Event.provenance"];
            /**
             * @description Final state of the run; `abandoned` is recorded by a later orca process when the one that ran it died.
             * @enum {unknown}
             */
            status: "succeeded" | "failed" | "timed_out" | "cancelled" | "abandoned";
            /** @enum {unknown} */
            type: "run.finished";
        } & WithRequired<components["schemas"]["Event.envelope"], "type">;
        /**
         * run.started
         * @description The run began: what it will settle and where it runs.
         */
        "Event.run.started": {
            /** @description What the views show for jobs that have a display name (`name:`, or a matrix expansion's, e.g. `test (node=20, db=pg)`), by job. */
            displayNames?: {
                [key: string]: string;
            };
            /** @description Absolute path of the jobs file. */
            file: string;
            /** @description Host name of the machine running the run. */
            host: string;
            /** @description Every job the run will settle, in plan order. */
            jobs: components["schemas"]["Event.jobName"][];
            /** @description For each expansion of a matrix job: the matrix job as written and the combination's values, by job. */
            matrix?: {
                [key: string]: {
                    job: string;
                    values: {
                        [key: string]: string;
                    };
                };
            };
            /** @description Version of orca that ran it. */
            orcaVersion: string;
            /** @description Process id of the orca process running the run. */
            pid: number;
            /** @description Absolute path of the project directory. */
            projectDir: string;
            /** @description Targets as given; empty means every job. */
            targets: string[];
            /** @enum {unknown} */
            type: "run.started";
        } & WithRequired<components["schemas"]["Event.envelope"], "type">;
        /** @description Run id, e.g. `20261125T203015123Z-3f9a1c`. */
        "Event.runId": string;
        /**
         * step.finished
         * @description A step ended (or was skipped because an earlier one failed).
         */
        "Event.step.finished": {
            /** @description Whether a failure of this step fails the job. */
            allowFailure: boolean;
            /** @description The job's attempt (retry:), present from the second on. */
            attempt?: number;
            durationMs: components["schemas"]["Event.durationMs"];
            /** @description Exit code; null when the step did not exit by itself. */
            exitCode: number | null;
            index: components["schemas"]["Event.stepIndex"];
            job: components["schemas"]["Event.jobName"];
            /** @description Step name. */
            name: string;
            status: components["schemas"]["Event.stepStatus"];
            /** @enum {unknown} */
            type: "step.finished";
        } & WithRequired<components["schemas"]["Event.envelope"], "type">;
        /**
         * step.output
         * @description Output of a step, secrets masked; whole lines except at the end of a step.
         */
        "Event.step.output": {
            /** @description The job's attempt (retry:), present from the second on. */
            attempt?: number;
            job: components["schemas"]["Event.jobName"];
            /**
             * @description Set when the output was recorded in an earlier run and is replayed from the cache.
             * @enum {unknown}
             */
            replayed?: true;
            step: components["schemas"]["Event.stepIndex"];
            /**
             * @description Which stream it came on. A step's stderr is joined to its stdout in the container (so its output keeps the order it was written in): step output comes as stdout; stderr is left for what orca notes itself.
             * @enum {unknown}
             */
            stream: "stdout" | "stderr";
            /** @description The text, decoded as UTF-8. */
            text: string;
            /** @enum {unknown} */
            type: "step.output";
        } & WithRequired<components["schemas"]["Event.envelope"], "type">;
        /**
         * step.started
         * @description A step began.
         */
        "Event.step.started": {
            /** @description The job's attempt (retry:), present from the second on. */
            attempt?: number;
            job: components["schemas"]["Event.jobName"];
            /** @description Step name. */
            name: string;
            step: components["schemas"]["Event.stepIndex"];
            /** @enum {unknown} */
            type: "step.started";
        } & WithRequired<components["schemas"]["Event.envelope"], "type">;
        /** @description 0-based position of the step in its job. */
        "Event.stepIndex": number;
        /**
         * @description Final state of a step.
         * @enum {unknown}
         */
        "Event.stepStatus": "succeeded" | "failed" | "timed_out" | "cancelled" | "skipped";
        /**
         * volume.restored
         * @description A keyed volume that was empty got its cached content before the job's first step (docs/caching.md).
         */
        "Event.volume.restored": {
            /** @description Size of the volume's archive. */
            bytes: number;
            /** @description With `remote`: bytes downloaded. */
            downloaded?: number;
            durationMs: number;
            job: components["schemas"]["Event.jobName"];
            /** @description The volume's key: from its key files' content, never the job's key. */
            key: string;
            /**
             * @description The local cache, or the remote (downloaded into the local cache first).
             * @enum {unknown}
             */
            source: "local" | "remote";
            /** @enum {unknown} */
            type: "volume.restored";
            /** @description The volume's name in jobs.yml. */
            volume: string;
        } & WithRequired<components["schemas"]["Event.envelope"], "type">;
        /**
         * volume.saved
         * @description A keyed volume's content stored after the job succeeded, when no entry existed under its key: `local`, then `remote` (in the background; the run waits for it before run.finished).
         */
        "Event.volume.saved": {
            /** @description The archive's size (local); what was sent (remote). */
            bytes: number;
            durationMs: number;
            job: components["schemas"]["Event.jobName"];
            /** @description The volume's key: from its key files' content, never the job's key. */
            key: string;
            /** @description Why an upload failed. */
            reason?: string;
            /**
             * @description With `remote`: `exists` when the remote had it already.
             * @enum {unknown}
             */
            result?: "uploaded" | "exists" | "failed";
            /** @enum {unknown} */
            to: "local" | "remote";
            /** @enum {unknown} */
            type: "volume.saved";
            /** @description The volume's name in jobs.yml. */
            volume: string;
        } & WithRequired<components["schemas"]["Event.envelope"], "type">;
        Health: {
            queued: number;
            running: number;
            /** @enum {unknown} */
            status: "ok";
        };
        MissingUploads: {
            /** @description Digests the server lacks, each once. */
            missing: string[];
        };
        RunList: {
            /** @description Pass as `before` to get the next page; null on the last page. */
            next: string | null;
            /** @description Newest first. */
            runs: components["schemas"]["RunRecord"][];
        };
        /**
         * orca run record
         * @description run.json: the state of one run, a fold of its events.jsonl. Also served by `GET /v1/runs/{id}`.
         */
        RunRecord: {
            /** @description How long the run took; null while it runs. */
            durationMs: number | null;
            error: components["schemas"]["RunRecord.error"];
            /** @description Absolute path of the jobs file. */
            file: string | null;
            /**
             * Format: date-time
             * @description When the run ended; null while it runs.
             */
            finishedAt: string | null;
            /** @description Host name of the machine that ran it. */
            host: string | null;
            /** @description Run id, e.g. `20261125T203015123Z-3f9a1c`: UTC start time, then random hex. */
            id: string;
            /** @description Every job of the run by name, in plan order. */
            jobs: {
                [key: string]: components["schemas"]["RunRecord.job"];
            };
            /** @description `seq` of the last event folded into this record. */
            lastSeq: number;
            /** @description Version of orca that ran it. */
            orcaVersion: string | null;
            /** @description Process id of the orca process that ran it. */
            pid: number | null;
            /** @description Absolute path of the project directory. */
            projectDir: string | null;
            /** @description The run's attestation (docs/provenance.md) once the run finished: its path, SHA-256, whether it is signed and by which key; null before, or when none was written. */
            provenance: {
                /** @description SHA-256 of the signing key's public key (DER SubjectPublicKeyInfo), hex; null when unsigned. */
                keyId: string | null;
                /** @description The file, relative to the run directory: provenance.intoto.jsonl. */
                path: string;
                /** @description SHA-256 of the file. */
                sha256: string;
                /** @description Whether the envelope carries a signature (false: no signing key was configured). */
                signed: boolean;
            } | null;
            /**
             * Format: date-time
             * @description When the run started.
             */
            startedAt: string;
            /**
             * @description State of the run; `abandoned` when the orca process that ran it died before recording an end.
             * @enum {unknown}
             */
            status: "running" | "succeeded" | "failed" | "timed_out" | "cancelled" | "abandoned";
            /** @description Targets as given; empty means every job. */
            targets: string[];
        };
        "RunRecord.artifacts": {
            /** @description Bytes of the files. */
            bytes: number;
            /** @description Files and links. */
            count: number;
            /** @description The manifest file listing each artifact (path, type, mode, size, sha256; links with their target), relative to the run directory; null for runs recorded before manifests. */
            manifest: string | null;
            /** @description SHA-256 of the manifest file; null with `manifest`. */
            sha256: string | null;
        };
        /** @description Why it ended other than by a step's exit code; null otherwise. */
        "RunRecord.error": {
            /** @description e.g. `infra`, `timeout`, `cancelled`, `artifact`, `service`, `not-cached`. */
            kind: string;
            /** @description For people; secrets masked. */
            message: string;
        } | null;
        /** @description One job of the run. Unknown values are null, never absent. */
        "RunRecord.job": {
            /** @description The job's artifacts: count, bytes and the manifest listing them; null when it collected none (no artifact globs, or it did not succeed and its artifacts.when does not collect after a failure). */
            artifacts: null | components["schemas"]["RunRecord.artifacts"];
            /** @description With retry:, every attempt in order, the last being the job's own end (its steps and container are also the job's); empty when the job ran once. */
            attempts: {
                /** @description From 1. */
                attempt: number;
                /** @description Engine id of the job's container. */
                containerId: string | null;
                /** @description How long the job ran; null for skipped jobs and until it finishes. */
                durationMs: number | null;
                error: components["schemas"]["RunRecord.error"];
                /**
                 * Format: date-time
                 * @description When the job reached its final state (including skipped).
                 */
                finishedAt: string | null;
                /**
                 * Format: date-time
                 * @description When the job started.
                 */
                startedAt: string | null;
                /**
                 * @description State of the job; `pending` until it starts.
                 * @enum {unknown}
                 */
                status: "pending" | "running" | "succeeded" | "failed" | "timed_out" | "cancelled" | "skipped" | "cached";
                /** @description Steps that started or finished, by index. */
                steps: components["schemas"]["RunRecord.step"][];
            }[];
            /**
             * @description How the cache treated the job: `hit` (restored, not run), `miss` (ran, will be stored), `disabled` (does not use the cache); null before the job starts.
             * @enum {unknown}
             */
            cache: "hit" | "miss" | "disabled" | null;
            /** @description With status `cached`: the run that produced the cache entry (its artifacts and replayed output); null otherwise. */
            cachedFrom: string | null;
            /**
             * @description What cleanup did with the container (`kept`: stopped and labelled `orca.kept=true`); null until the job finishes.
             * @enum {unknown}
             */
            cleanup: "removed" | "kept" | "none" | null;
            /** @description Engine id of the job's container. */
            containerId: string | null;
            /** @description What the views show for the job: its `name:`, or a matrix expansion's, e.g. `test (node=20, db=pg)`; null when it has neither (views show the job's name). */
            displayName: string | null;
            /** @description How long the job ran; null for skipped jobs and until it finishes. */
            durationMs: number | null;
            error: components["schemas"]["RunRecord.error"];
            /**
             * @description Where the job's steps ran: docker (a container) or host (this machine, runs-on: host); null until it starts.
             * @enum {unknown}
             */
            executor: "docker" | "host" | null;
            /**
             * Format: date-time
             * @description When the job reached its final state (including skipped).
             */
            finishedAt: string | null;
            /** @description True when the job succeeded after an attempt that did not (retry:). */
            flaky: boolean;
            /** @description Image reference the job ran in. */
            image: string | null;
            /** @description Resolved image id, e.g. `sha256:…`. */
            imageId: string | null;
            /**
             * Format: date-time
             * @description A container kept by its cleanup policy with keep_for: when orca clean and the retention pass of a later run may remove it; null otherwise.
             */
            keptUntil: string | null;
            /** @description Cache key (SHA-256, hex); null when not computed. */
            key: string | null;
            /** @description True when the job printed more than its output cap (16 MiB by default): its log ends with a truncation marker and the rest was not recorded. */
            logTruncated: boolean;
            /** @description For an expansion of a matrix job: that job and this combination's values; null otherwise. */
            matrix: null | {
                /** @description The matrix job as written in jobs.yml. */
                job: string;
                /** @description This combination's values, by matrix variable. */
                values: {
                    [key: string]: string;
                };
            };
            /** @description What the job handed to its dependents, by output name (secrets masked); null when it declares no outputs or did not get to write them. */
            outputs: {
                [key: string]: string;
            } | null;
            /** @description What the remote cache did for the job (cache.remote); null when it was not asked. */
            remoteCache: null | {
                /** @description Asked on a local miss. */
                lookup?: {
                    /** @description Downloaded (a hit). */
                    bytes?: number;
                    reason?: string;
                    /** @enum {unknown} */
                    result: "hit" | "miss" | "untrusted" | "damaged" | "unavailable";
                };
                /** @description The job's entry shared after it succeeded. */
                upload?: {
                    blobs: number;
                    /** @description Sent (content the remote held is not). */
                    bytes: number;
                    reason?: string;
                    /** @enum {unknown} */
                    result: "uploaded" | "exists" | "failed";
                };
            };
            /** @description The counts of the job's JUnit reports and their files; null when it has none collected. */
            reports: null | {
                junit: {
                    /** @description Testcases that errored. */
                    errors: number;
                    /** @description Testcases that failed. */
                    failures: number;
                    /** @description The report files, relative to the run directory (`reports/<job>/<path>`). */
                    files: string[];
                    /** @description Testcases skipped. */
                    skipped: number;
                    /** @description Testcases in the reports. */
                    tests: number;
                };
            };
            /** @description Why the job was skipped, e.g. `needs build (failed)`. */
            skippedReason: string | null;
            /**
             * Format: date-time
             * @description When the job started.
             */
            startedAt: string | null;
            /**
             * @description State of the job; `pending` until it starts.
             * @enum {unknown}
             */
            status: "pending" | "running" | "succeeded" | "failed" | "timed_out" | "cancelled" | "skipped" | "cached";
            /** @description Steps that started or finished, by index. */
            steps: components["schemas"]["RunRecord.step"][];
            /** @description What the cache did for the job's keyed volumes, by volume name; null when nothing was restored or saved. */
            volumes: null | {
                [key: string]: {
                    key: string;
                    restored?: {
                        bytes: number;
                        downloaded?: number;
                        /** @enum {unknown} */
                        source: "local" | "remote";
                    };
                    saved?: {
                        bytes: number;
                    };
                    upload?: {
                        bytes: number;
                        reason?: string;
                        /** @enum {unknown} */
                        result: "uploaded" | "exists" | "failed";
                    };
                };
            };
            /** @description What the job was warned about, in order (at most 100); every view shows these. */
            warnings: components["schemas"]["RunRecord.warning"][];
            /** @description A host job kept by its cleanup policy: the folder it ran in, left in place; null otherwise. */
            workDir: string | null;
        };
        /** @description One step of a job. */
        "RunRecord.step": {
            /** @description Whether a failure of this step is allowed (does not fail the job). */
            allowFailure: boolean;
            /** @description How long it ran; null until it finishes. */
            durationMs: number | null;
            /** @description Exit code; null until it finishes and when it did not exit by itself (timed out, cancelled, skipped). */
            exitCode: number | null;
            /** @description 0-based position of the step in its job. */
            index: number;
            /** @description Step name. */
            name: string;
            /**
             * Format: date-time
             * @description When the step started; null when it never did.
             */
            startedAt: string | null;
            /**
             * @description State of the step.
             * @enum {unknown}
             */
            status: "running" | "succeeded" | "failed" | "timed_out" | "cancelled" | "skipped";
        };
        /** @description Something about the job that did not stop it but that a user should see. */
        "RunRecord.warning": {
            /**
             * @description `cache-untrusted`: signing is on and the cache entry's signature was missing or wrong (ignored, removed, the job ran); `cache-damaged`: the entry did not match its manifest (removed, the job ran); `cache-remote`: the remote cache could not be reached or did not take an upload (the run went on without it); `artifact-link-outside`: an artifact link pointing outside the artifacts, stored as nothing; `artifact-name-clash`: two artifacts named alike once secrets were masked (the first was kept); `artifact-clash`: two needs deliver different content at one path (the later need's is placed); `collect-failed`: the artifacts or reports of a job whose end was decided could not be collected; `report-invalid`: a report file that is not a JUnit document (its tests are not counted); `outputs-unreadable`: the outputs file could not be read; `output-invalid`: a line of it that is not an output, or names an undeclared one; `output-secret`: an output holding a secret's value (not handed on).
             * @enum {unknown}
             */
            kind: "cache-untrusted" | "cache-damaged" | "cache-remote" | "artifact-link-outside" | "artifact-name-clash" | "artifact-clash" | "collect-failed" | "report-invalid" | "outputs-unreadable" | "output-invalid" | "output-secret";
            /** @description For people; secrets masked. */
            message: string;
            /** @description The artifact concerned (secrets masked); null when none. */
            path: string | null;
            /** @description The link's target, for `artifact-link-outside`; null otherwise. */
            target: string | null;
        };
        StoredUploads: {
            blobs: number;
            bytes: number;
        };
        SubmittedRun: {
            eventsUrl: string;
            /** @description Run id; the run directory exists when this reply is sent. */
            id: string;
            /**
             * @description `queued` until a slot among the concurrent runs frees up.
             * @enum {unknown}
             */
            state: "queued" | "running";
            url: string;
        };
        /** @description A working tree as uploaded for a run: the artifact manifest format (files sorted by path), plus which files are orca's own. */
        Tree: {
            files: {
                mode?: number;
                /** @description Relative to the project, `/`-separated, sorted. */
                path: string;
                sha256?: string;
                size?: number;
                /** @description A link's target, inside the tree. */
                target?: string;
                /** @enum {unknown} */
                type: "file" | "symlink";
            }[];
            /** @enum {unknown} */
            format: 1;
            /** @description Among `files`, orca's own (pipeline file, includes, configuration, `.orcaignore`): not default inputs, as in a local run. */
            orcaFiles?: string[];
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    health: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Alive. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    execute: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description Files under the workdir to send back, base64 (regular files; serve.execute.maxCollectBytes together). */
                    collect?: string[];
                    /** @description The program and its arguments (no shell in between). Give this or `snippet`. */
                    command?: string[];
                    env?: {
                        [key: string]: string;
                    };
                    /** @description Written under the workdir (/work) before the command starts. */
                    files?: {
                        /**
                         * Format: byte
                         * @description The bytes, base64.
                         */
                        content: string;
                        /** @description Permission bits, e.g. 493 (0755); default 0644. */
                        mode?: number;
                        /** @description Relative to the workdir, `/`-separated, no `..`. */
                        path: string;
                    }[];
                    /** @description One of the images serve.execute.images allows, as written there. */
                    image: string;
                    /** @description Each at most the server's cap (serve.execute), which is also the value of one not given; a value over its cap is refused with 422. */
                    limits?: {
                        cpus?: number;
                        /** @description At least 6 MiB (the engine's floor). */
                        memoryBytes?: number;
                        /** @description A bridge network, if serve.execute.network allows it; default none. */
                        network?: boolean;
                        /** @description stdout and stderr together; the program is stopped past it. */
                        outputBytes?: number;
                        pids?: number;
                        timeoutMs?: number;
                    };
                    /** @description A script run by `sh -c`. Give this or `command`. */
                    snippet?: string;
                };
            };
        };
        responses: {
            /** @description It ran (whatever its exit code, or the limit that ended it). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description Charged against the key's hourly quota: the CPU limit times the duration. */
                        cpuSeconds?: number;
                        durationMs: number;
                        /** @description null when orca stopped it (limit `timeout` or `output`). */
                        exitCode: number | null;
                        files: {
                            /** Format: byte */
                            content?: string;
                            /** @description Why it was not collected (no such file, not a regular file, over the size left). */
                            error?: string;
                            path: string;
                            size?: number;
                        }[];
                        id: string;
                        /**
                         * @description The limit that ended or hampered it: `timeout` and `output` (orca stopped it), `memory` (the kernel killed a process over the memory limit), `pids` (the pids limit refused a fork); null for none.
                         * @enum {unknown}
                         */
                        limit: "timeout" | "memory" | "output" | "pids" | null;
                        stderr: string;
                        /** @description As UTF-8 (invalid bytes replaced), cut at the output cap. */
                        stdout: string;
                    };
                };
            };
            /** @description The request is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `image_not_allowed`: the image is not in serve.execute.images (execute is off while that list is empty); `insufficient_scope`: the key lacks `run`; `forbidden_host`. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run, job or artifact. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body is over 8 MiB. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `invalid_execute_request`: a limit over the server's cap, a path with `..`, both or neither of command and snippet, content that is not base64. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `rate_limited`, `too_many_concurrent` (this key's executions at once) or `cpu_quota_exceeded` (its CPU-seconds in the last hour); Retry-After says when to try again. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The Docker engine cannot be reached, or the server is shutting down. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listRuns: {
        parameters: {
            query?: {
                /** @description Only runs older than this run id (the `next` of the previous page). */
                before?: string;
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of run records. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunList"];
                };
            };
            /** @description The request is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `insufficient_scope`: the key lacks the scope the operation names (`x-orca-scope`); `forbidden_host`: the Host header names no address of this server. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run, job or artifact. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createRun: {
        parameters: {
            query?: never;
            header?: {
                /** @description A retried POST with the same key and body returns the same run. */
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @enum {unknown} */
                    cleanup?: "always_remove" | "remove_on_completion" | "keep_on_completion" | "remove_on_timeout" | "never_remove";
                    /** @description Jobs of this run at once; default from the configuration. */
                    concurrency?: number;
                    env?: {
                        [key: string]: string;
                    };
                    failFast?: boolean;
                    /**
                     * @description Pipeline file, relative to the served project: one of `serve.pipelines` in its configuration (default `["jobs.yml"]`); any other name is a 403 `pipeline_not_allowed`, whether or not such a file exists.
                     * @default jobs.yml
                     */
                    file?: string;
                    noCache?: boolean;
                    /** @description Jobs to run with what they need; empty = every job. */
                    targets?: string[];
                    /** @description Run the client's working tree instead of the served project: the SHA-256 of a tree manifest uploaded with POST /v1/uploads (components/schemas/Tree), whose files were uploaded too. The tree is laid out in a throwaway folder on the server and the pipeline `file` is read from it; `file` must still be one of `serve.pipelines`. */
                    tree?: string;
                };
            };
        };
        responses: {
            /** @description The run is recorded and running or queued. */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SubmittedRun"];
                };
            };
            /** @description The request is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `forbidden_host`: the Host header names no address of this server; `pipeline_not_allowed`: `file` is not one of `serve.pipelines`; `host_jobs_not_allowed`: the run has `runs-on: host` jobs and `serve.allowHost` is not set. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run, job or artifact. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body is larger than the limit. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body is not application/json. */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The pipeline is invalid (diagnostics name positions and keys, never values), a target is unknown, or the Idempotency-Key was used with another body. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The server is shutting down or its queue is full. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getRun: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A run id, or `latest`. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The run record. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunRecord"];
                };
            };
            /** @description The request is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `insufficient_scope`: the key lacks the scope the operation names (`x-orca-scope`); `forbidden_host`: the Host header names no address of this server. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run, job or artifact. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listArtifacts: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A run id, or `latest`. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Artifacts */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        artifacts: components["schemas"]["Artifact"][];
                    };
                };
            };
            /** @description The request is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `insufficient_scope`: the key lacks the scope the operation names (`x-orca-scope`); `forbidden_host`: the Host header names no address of this server. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run, job or artifact. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    downloadArtifact: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                job: string;
                /** @description The artifact path as listed. */
                path: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The file, checked against its digest before it is sent. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/octet-stream": string;
                };
            };
            /** @description The request is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `insufficient_scope`: the key lacks the scope the operation names (`x-orca-scope`); `forbidden_host`: the Host header names no address of this server. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run, job or artifact. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The artifact is no longer stored as recorded (pruned from the cache, or changed after it was stored). */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    cancelRun: {
        parameters: {
            query?: {
                force?: boolean;
            };
            header?: never;
            path: {
                /** @description A run id, or `latest`. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Cancellation started; the run records `cancelled` when its containers are gone. */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Cancelling"];
                };
            };
            /** @description The request is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `insufficient_scope`: the key lacks the scope the operation names (`x-orca-scope`); `forbidden_host`: the Host header names no address of this server. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run, job or artifact. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The run is not live in this server (finished, or run by another process). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    streamRunEvents: {
        parameters: {
            query?: never;
            header?: {
                /** @description Resume after this event seq. */
                "last-event-id"?: string;
            };
            path: {
                /** @description A run id, or `latest`. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description An event stream. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": string;
                };
            };
            /** @description The run has finished and the client has seen its last event: nothing more will come (EventSource stops reconnecting). */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description The request is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `insufficient_scope`: the key lacks the scope the operation names (`x-orca-scope`); `forbidden_host`: the Host header names no address of this server. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run, job or artifact. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getRunGraph: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A run id, or `latest`. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The needs of every job of the run; `fromFile` is false (and there are no edges) when the jobs file is gone or no longer valid. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        fromFile: boolean;
                        needs: {
                            [key: string]: string[];
                        };
                    };
                };
            };
            /** @description The request is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `insufficient_scope`: the key lacks the scope the operation names (`x-orca-scope`); `forbidden_host`: the Host header names no address of this server. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run, job or artifact. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    explainJob: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                job: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `explanation` as `orca explain --json` prints it, `text` as `orca explain` does. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        explanation: Record<string, never>;
                        text: string;
                    };
                };
            };
            /** @description The request is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `insufficient_scope`: the key lacks the scope the operation names (`x-orca-scope`); `forbidden_host`: the Host header names no address of this server. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run, job or artifact. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The run is not of a pipeline this server runs (another project, or a file not in serve.pipelines). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getJobLog: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                job: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The log as text. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
            /** @description The request is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `insufficient_scope`: the key lacks the scope the operation names (`x-orca-scope`); `forbidden_host`: the Host header names no address of this server. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run, job or artifact. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getProvenance: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description provenance.intoto.jsonl of the run directory. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/x-ndjson": string;
                };
            };
            /** @description The request is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `insufficient_scope`: the key lacks the scope the operation names (`x-orca-scope`); `forbidden_host`: the Host header names no address of this server. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run, job or artifact. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listSandboxes: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The sandboxes. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        sandboxes?: {
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            endedAt?: string;
                            envNames?: string[];
                            /** Format: date-time */
                            expiresAt: string;
                            id: string;
                            image: string;
                            imageId?: string;
                            limits?: {
                                cpus?: number;
                                memoryBytes?: number;
                                pids?: number;
                            };
                            /** @enum {unknown} */
                            network?: "bridge" | "none";
                            reason?: string;
                            /** @enum {unknown} */
                            state: "creating" | "running" | "gone" | "expired";
                            ttlMs?: number;
                            workdir?: string;
                        }[];
                    };
                };
            };
            /** @description The request is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `insufficient_scope`: the key lacks the scope the operation names (`x-orca-scope`); `forbidden_host`: the Host header names no address of this server. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run, job or artifact. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createSandbox: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    env?: {
                        [key: string]: string;
                    };
                    /** @description One of `serve.sandboxes.images`, exactly as written there. */
                    image: string;
                    /** @description Clamped to the server's caps; what is not asked for is the cap. */
                    limits?: {
                        cpus?: number;
                        /** @description Bytes. */
                        memory?: number;
                        pids?: number;
                    };
                    /**
                     * @description Default bridge (when the server allows networks): needed to forward ports.
                     * @enum {unknown}
                     */
                    network?: "bridge" | "none";
                    /** @description A duration like `10m`, clamped to the server's `serve.sandboxes.maxTtl`. */
                    ttl?: string;
                    /** @description Where exec and the shell start; default /workspace. */
                    workdir?: string;
                };
            };
        };
        responses: {
            /** @description The sandbox runs. */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: date-time */
                        createdAt: string;
                        /** Format: date-time */
                        endedAt?: string;
                        envNames?: string[];
                        /** Format: date-time */
                        expiresAt: string;
                        id: string;
                        image: string;
                        imageId?: string;
                        limits?: {
                            cpus?: number;
                            memoryBytes?: number;
                            pids?: number;
                        };
                        /** @enum {unknown} */
                        network?: "bridge" | "none";
                        reason?: string;
                        /** @enum {unknown} */
                        state: "creating" | "running" | "gone" | "expired";
                        ttlMs?: number;
                        workdir?: string;
                    };
                };
            };
            /** @description The request is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `image_not_allowed`: the image is not one of `serve.sandboxes.images`. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such sandbox (or no such path in it). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `not_running`: the sandbox is gone or expired; `no_network`: it has no network. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `limit_reached`: the server has `serve.sandboxes.max` sandboxes already; `too_many_concurrent` (this key's sandboxes at once) or `cpu_quota_exceeded` (its CPU-seconds in the last hour), with Retry-After; `rate_limited`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getSandbox: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A sandbox id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The sandbox. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: date-time */
                        createdAt: string;
                        /** Format: date-time */
                        endedAt?: string;
                        envNames?: string[];
                        /** Format: date-time */
                        expiresAt: string;
                        id: string;
                        image: string;
                        imageId?: string;
                        limits?: {
                            cpus?: number;
                            memoryBytes?: number;
                            pids?: number;
                        };
                        /** @enum {unknown} */
                        network?: "bridge" | "none";
                        reason?: string;
                        /** @enum {unknown} */
                        state: "creating" | "running" | "gone" | "expired";
                        ttlMs?: number;
                        workdir?: string;
                    };
                };
            };
            /** @description The request is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `insufficient_scope`: the key lacks the scope the operation names (`x-orca-scope`); `forbidden_host`: the Host header names no address of this server. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such sandbox (or no such path in it). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `not_running`: the sandbox is gone or expired; `no_network`: it has no network. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteSandbox: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A sandbox id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Removed. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description The request is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `insufficient_scope`: the key lacks the scope the operation names (`x-orca-scope`); `forbidden_host`: the Host header names no address of this server. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such sandbox (or no such path in it). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `not_running`: the sandbox is gone or expired; `no_network`: it has no network. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    execInSandbox: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A sandbox id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description The command and its arguments (no shell: use ["sh","-c","..."] for one). */
                    cmd: string[];
                    env?: {
                        [key: string]: string;
                    };
                    /** @description Given to the command's standard input, which is then closed. */
                    stdin?: string;
                    workdir?: string;
                };
            };
        };
        responses: {
            /** @description Output lines, then the exit line. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/x-ndjson": string;
                };
            };
            /** @description The request is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `insufficient_scope`: the key lacks the scope the operation names (`x-orca-scope`); `forbidden_host`: the Host header names no address of this server. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such sandbox (or no such path in it). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `not_running`: the sandbox is gone or expired; `no_network`: it has no network. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getSandboxFiles: {
        parameters: {
            query: {
                path: string;
            };
            header?: never;
            path: {
                /** @description A sandbox id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A tar whose top entry is the basename of `path`. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/x-tar": string;
                };
            };
            /** @description The request is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `insufficient_scope`: the key lacks the scope the operation names (`x-orca-scope`); `forbidden_host`: the Host header names no address of this server. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such sandbox (or no such path in it). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `not_running`: the sandbox is gone or expired; `no_network`: it has no network. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    putSandboxFiles: {
        parameters: {
            query: {
                path: string;
            };
            header?: never;
            path: {
                /** @description A sandbox id. */
                id: string;
            };
            cookie?: never;
        };
        /** @description A tar archive. */
        requestBody: {
            content: {
                "application/x-tar": string;
            };
        };
        responses: {
            /** @description What was written. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        bytes?: number;
                        files?: number;
                    };
                };
            };
            /** @description The request is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `insufficient_scope`: the key lacks the scope the operation names (`x-orca-scope`); `forbidden_host`: the Host header names no address of this server. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such sandbox (or no such path in it). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `not_running`: the sandbox is gone or expired; `no_network`: it has no network. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    sandboxPort: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A sandbox id. */
                id: string;
                port: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Switching to the WebSocket. */
            101: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description The request is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `insufficient_scope`: the key lacks the scope the operation names (`x-orca-scope`); `forbidden_host`: the Host header names no address of this server. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such sandbox. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The sandbox is gone, expired, or has no network. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not a WebSocket upgrade request. */
            426: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Nothing accepts connections on the port. */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    sandboxShell: {
        parameters: {
            query?: {
                columns?: number;
                rows?: number;
            };
            header?: never;
            path: {
                /** @description A sandbox id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Switching to the WebSocket. */
            101: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description The request is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `insufficient_scope`: the key lacks the scope the operation names (`x-orca-scope`); `forbidden_host`: the Host header names no address of this server. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such sandbox. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The sandbox is gone or expired. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not a WebSocket upgrade request. */
            426: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    touchSandbox: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A sandbox id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description A duration like `10m`, clamped to the server's `serve.sandboxes.maxTtl`. */
                    ttl?: string;
                };
            };
        };
        responses: {
            /** @description The sandbox with its new expiry. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: date-time */
                        createdAt: string;
                        /** Format: date-time */
                        endedAt?: string;
                        envNames?: string[];
                        /** Format: date-time */
                        expiresAt: string;
                        id: string;
                        image: string;
                        imageId?: string;
                        limits?: {
                            cpus?: number;
                            memoryBytes?: number;
                            pids?: number;
                        };
                        /** @enum {unknown} */
                        network?: "bridge" | "none";
                        reason?: string;
                        /** @enum {unknown} */
                        state: "creating" | "running" | "gone" | "expired";
                        ttlMs?: number;
                        workdir?: string;
                    };
                };
            };
            /** @description The request is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `insufficient_scope`: the key lacks the scope the operation names (`x-orca-scope`); `forbidden_host`: the Host header names no address of this server. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such sandbox (or no such path in it). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `not_running`: the sandbox is gone or expired; `no_network`: it has no network. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getSession: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        key: string;
                        scopes: ("read" | "run" | "sandbox" | "admin")[];
                    };
                };
            };
            /** @description The request is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `insufficient_scope`: the key lacks the scope the operation names (`x-orca-scope`); `forbidden_host`: the Host header names no address of this server. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run, job or artifact. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    openSession: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Done; the cookie is in Set-Cookie. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description The request is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `insufficient_scope`: the key lacks the scope the operation names (`x-orca-scope`); `forbidden_host`: the Host header names no address of this server. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run, job or artifact. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    closeSession: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Done; the cookie is in Set-Cookie. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description The request is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `insufficient_scope`: the key lacks the scope the operation names (`x-orca-scope`); `forbidden_host`: the Host header names no address of this server. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run, job or artifact. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    uploadBlobs: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description What was stored. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StoredUploads"];
                };
            };
            /** @description `invalid_upload`: not a tar, or an entry that is not a file named by a digest; `digest_mismatch`: an entry's bytes have another digest. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `insufficient_scope`: the key lacks the scope the operation names (`x-orca-scope`); `forbidden_host`: the Host header names no address of this server. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run, job or artifact. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The upload is larger than the store's size cap. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body is not application/x-tar. */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    missingUploads: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    digests: string[];
                };
            };
        };
        responses: {
            /** @description The digests to upload, each once, in the order asked. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MissingUploads"];
                };
            };
            /** @description The request is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `insufficient_scope`: the key lacks the scope the operation names (`x-orca-scope`); `forbidden_host`: the Host header names no address of this server. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run, job or artifact. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listWebhookDeliveries: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The deliveries. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        deliveries: {
                            attempts: {
                                at: string;
                                durationMs: number;
                                /** @description Why no answer came. */
                                error?: string;
                                /** @description The endpoint's answer. */
                                status?: number;
                            }[];
                            /** @enum {unknown} */
                            event: "run.finished" | "sandbox.expired";
                            /** @description Also sent as the Orca-Delivery header and the body's `id`. */
                            id: string;
                            /** @description When the next retry is due, while pending. */
                            nextAttemptAt?: string;
                            /**
                             * @description `failed` once every retry failed.
                             * @enum {unknown}
                             */
                            state: "pending" | "delivered" | "failed";
                            url: string;
                        }[];
                    };
                };
            };
            /** @description The request is malformed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unauthorized`: a missing, unknown, revoked or expired API key (when the server has a token or keys); also the answer to an unknown path without one. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `insufficient_scope`: the key lacks the scope the operation names (`x-orca-scope`); `forbidden_host`: the Host header names no address of this server. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such run, job or artifact. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected server error. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
}
type WithRequired<T, K extends keyof T> = T & {
    [P in K]-?: T[P];
};
