import type { INestApplication } from '@nestjs/common'
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger'
import { CONSUMER_SCHEME, OPERATOR_SCHEME } from './common/api-docs.js'

/** Where the documentation lives: Swagger UI and its assets under it, the document at /docs-json. */
export const DOCS_PATH = '/docs'

/** OpenAPI 3 at /docs-json and Swagger UI at /docs, generated from the controllers and DTOs. */
export function setupOpenApi(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Align KYC service')
      .setDescription('Put customers through AlignLab KYC: customers, KYC links, status, webhooks.')
      .setVersion('1.0.0')
      .addBearerAuth(
        {
          type: 'http',
          scheme: 'bearer',
          description: 'Consumer scope: one of the tokens in API_KEYS (an OPERATOR_KEYS token passes too)',
        },
        CONSUMER_SCHEME,
      )
      .addBearerAuth(
        {
          type: 'http',
          scheme: 'bearer',
          description:
            'Operator scope: one of the tokens in OPERATOR_KEYS; a consumer token gets 403 insufficient_scope',
        },
        OPERATOR_SCHEME,
      )
      .build(),
  )
  SwaggerModule.setup(DOCS_PATH.slice(1), app, document, {
    jsonDocumentUrl: `${DOCS_PATH.slice(1)}-json`,
    raw: ['json'],
  })
}
