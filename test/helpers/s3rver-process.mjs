// An S3-protocol server on loopback for tests: `node s3rver-process.mjs DIR BUCKET` prints `listening PORT`.
import S3rver from 's3rver'

const [dir, bucket] = process.argv.slice(2)
const server = new S3rver({port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{name: bucket}]})
const {port} = await server.run()
process.stdout.write(`listening ${port}\n`)
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)))
