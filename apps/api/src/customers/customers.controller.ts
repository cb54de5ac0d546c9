import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common'
import { ApiExtraModels, ApiOkResponse, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger'
import type { FastifyReply } from 'fastify'
import { ApiOperatorProtected, ApiProtected, ProblemDto } from '../common/api-docs.js'
import { UuidPipe } from '../common/uuid.pipe.js'
import { CustomersService } from './customers.service.js'
import {
  CreateCustomerDto,
  CustomerDto,
  CustomerPageDto,
  ListCustomersQueryDto,
  toCustomerDto,
} from './dto/customer.dto.js'

@ApiTags('customers')
@ApiExtraModels(ProblemDto)
@Controller('v1/customers')
export class CustomersController {
  constructor(private readonly customers: CustomersService) {}

  @Post()
  @HttpCode(201)
  @ApiCreatedResponse({ type: CustomerDto, description: 'Created (Align created or adopted the customer)' })
  @ApiOkResponse({ type: CustomerDto, description: 'The email is already a customer: the existing one' })
  @ApiProtected(
    'validation_failed',
    'malformed_json',
    'customer_redacted',
    'upstream_error',
    'upstream_unavailable',
  )
  async create(
    @Body() body: CreateCustomerDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CustomerDto> {
    const { customer, created } = await this.customers.create(body)
    if (!created) reply.status(200)
    return toCustomerDto(customer)
  }

  @Get()
  @ApiOkResponse({ type: CustomerPageDto })
  @ApiProtected('validation_failed')
  async list(@Query() query: ListCustomersQueryDto): Promise<CustomerPageDto> {
    const page = await this.customers.list(query)
    return { items: page.items.map(toCustomerDto), nextCursor: page.nextCursor }
  }

  @Post(':id/redact')
  @HttpCode(200)
  @ApiOperation({
    summary: "Erase this service's copy of the customer's personal data; operator scope",
    description:
      'Email, names, company name, KYC link URLs, raw webhook bodies about the customer and the personal members ' +
      'of its events and deposit instructions are erased in one transaction; ids, statuses, history and times are ' +
      'kept. Emits customer.redacted. Idempotent: again, the same customer and nothing emitted. Afterwards links, ' +
      "virtual accounts and a create adopting the same Align customer answer 409 customer_redacted. Align's own " +
      "copy is Align's to erase.",
  })
  @ApiOkResponse({ type: CustomerDto, description: 'The redacted customer (redactedAt set)' })
  @ApiOperatorProtected('validation_failed', 'customer_not_found')
  async redact(@Param('id', UuidPipe) id: string): Promise<CustomerDto> {
    return toCustomerDto(await this.customers.redact(id))
  }

  @Get(':id')
  @ApiOkResponse({ type: CustomerDto })
  @ApiProtected('validation_failed', 'customer_not_found')
  async get(@Param('id', UuidPipe) id: string): Promise<CustomerDto> {
    return toCustomerDto(await this.customers.get(id))
  }
}
