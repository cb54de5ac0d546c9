import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common'
import { ApiExtraModels, ApiOkResponse, ApiCreatedResponse, ApiTags } from '@nestjs/swagger'
import type { FastifyReply } from 'fastify'
import { ApiProtected, ProblemDto } from '../common/api-docs.js'
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
  @ApiProtected('validation_failed', 'malformed_json', 'upstream_error', 'upstream_unavailable')
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

  @Get(':id')
  @ApiOkResponse({ type: CustomerDto })
  @ApiProtected('validation_failed', 'customer_not_found')
  async get(@Param('id', UuidPipe) id: string): Promise<CustomerDto> {
    return toCustomerDto(await this.customers.get(id))
  }
}
