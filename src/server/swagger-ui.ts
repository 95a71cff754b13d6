import type {FastifyInstance} from 'fastify'

/**
 * Swagger UI at /docs (@fastify/swagger-ui) over the same OpenAPI document as /v1/openapi.json. Its
 * page, assets and the document it loads are public (they describe the API, nothing of the project);
 * every call it makes to the API carries the key given to its Authorize button.
 */
export async function registerSwaggerUi(app: FastifyInstance): Promise<void> {
  const {default: swaggerUi} = await import('@fastify/swagger-ui')
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = {...route.config, public: true}
    })
    await docs.register(swaggerUi, {
      routePrefix: '/docs',
      uiConfig: {persistAuthorization: false, tryItOutEnabled: false},
      // The UI's own assets only: no scripts from elsewhere.
      staticCSP: true,
    })
  })
}
