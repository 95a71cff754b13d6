import {Readable} from 'node:stream'

import type {FastifyInstance} from 'fastify'

import {HttpError} from '../http-error.js'
import {COMMON_ERRORS, errorResponse, json} from '../openapi.js'
import {SECURITY, type RouteContext} from './context.js'

/** Digests asked about at once: a tree of 100k files in one request (6.7 MB of JSON). */
const MAX_DIGESTS = 100_000

/** Content of a client's working tree by digest, for `POST /v1/runs` with a `tree`. */
export async function registerUploadRoutes(app: FastifyInstance, {runs}: RouteContext): Promise<void> {
  app.post<{Body: {digests: string[]}}>(
    '/v1/uploads/missing',
    {
      config: {scope: 'run'},
      bodyLimit: MAX_DIGESTS * 70 + 1024,
      schema: {
        operationId: 'missingUploads',
        summary: 'Which of these SHA-256 digests the server lacks (send only those with POST /v1/uploads)',
        tags: ['uploads'],
        security: SECURITY,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['digests'],
          properties: {digests: {type: 'array', maxItems: MAX_DIGESTS, items: {type: 'string', pattern: '^[0-9a-f]{64}$'}}},
        },
        response: {200: json('MissingUploads', 'The digests to upload, each once, in the order asked.'), ...COMMON_ERRORS},
      },
    },
    async (request) => ({missing: runs.uploads.missing(request.body.digests)}),
  )

  // The tar is read as a stream, straight into the store: it is never buffered whole.
  await app.register(async (scope) => {
    // A tar only: any other body (JSON included) is a 415.
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('application/x-tar', (_request, payload, done) => done(null, payload))
    scope.post(
      '/v1/uploads',
      {
        config: {scope: 'run'},
        schema: {
          operationId: 'uploadBlobs',
          summary: 'Store files by digest: a tar whose entries are regular files named by the SHA-256 of their content',
          description:
            'Entries with any other name or type, or whose bytes have another digest, are refused (400); nothing is extracted anywhere but into the content store, so a path in the tar can reach nothing. The store keeps at most its size cap, dropping the least recently used content first.',
          tags: ['uploads'],
          security: SECURITY,
          response: {
            200: json('StoredUploads', 'What was stored.'),
            ...COMMON_ERRORS,
            400: errorResponse('`invalid_upload`: not a tar, or an entry that is not a file named by a digest; `digest_mismatch`: an entry\'s bytes have another digest.'),
            413: errorResponse('The upload is larger than the store\'s size cap.'),
            415: errorResponse('The body is not application/x-tar.'),
          },
        },
      },
      async (request) => {
        // A POST without a body has nothing parsed: it is no tar either.
        if (!(request.body instanceof Readable)) throw new HttpError(415, 'unsupported_media_type', 'an upload is a tar body (Content-Type: application/x-tar)')
        return runs.uploads.receive(request.body, runs.uploads.maxBytes)
      },
    )
  })
}
