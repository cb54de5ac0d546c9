import type { INestApplication } from '@nestjs/common'
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger'

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
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'One of the tokens in API_KEYS' })
      .build(),
  )
  SwaggerModule.setup(DOCS_PATH.slice(1), app, document, {
    jsonDocumentUrl: `${DOCS_PATH.slice(1)}-json`,
    raw: ['json'],
  })
}
