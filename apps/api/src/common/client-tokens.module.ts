import { Global, Module } from '@nestjs/common'
import { ClientTokens } from './client-tokens.js'

/** ClientTokens for the guard (app-wide) and the route that mints them. */
@Global()
@Module({ providers: [ClientTokens], exports: [ClientTokens] })
export class ClientTokensModule {}
