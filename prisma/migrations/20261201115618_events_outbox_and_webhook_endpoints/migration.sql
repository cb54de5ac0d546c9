-- CreateEnum
CREATE TYPE "EndpointStatus" AS ENUM ('enabled', 'disabled');

-- CreateEnum
CREATE TYPE "EventDeliveryStatus" AS ENUM ('pending', 'delivered', 'failed');

-- AlterTable
ALTER TABLE "customers" ADD COLUMN     "event_sequence" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "events" (
    "id" UUID NOT NULL,
    "serial" BIGSERIAL NOT NULL,
    "type" TEXT NOT NULL,
    "customer_id" UUID NOT NULL,
    "sequence" INTEGER NOT NULL,
    "data" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "position" BIGINT,

    CONSTRAINT "events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "event_feed" (
    "id" INTEGER NOT NULL,
    "last_position" BIGINT NOT NULL,

    CONSTRAINT "event_feed_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_endpoints" (
    "id" UUID NOT NULL,
    "url" TEXT NOT NULL,
    "event_types" TEXT[],
    "description" TEXT,
    "status" "EndpointStatus" NOT NULL DEFAULT 'enabled',
    "secret" TEXT NOT NULL,
    "previous_secret" TEXT,
    "previous_secret_expires_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_endpoints_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "event_deliveries" (
    "endpoint_id" UUID NOT NULL,
    "event_id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "sequence" INTEGER NOT NULL,
    "position" BIGINT NOT NULL,
    "status" "EventDeliveryStatus" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) DEFAULT CURRENT_TIMESTAMP,
    "lease_until" TIMESTAMPTZ(3),
    "last_status_code" INTEGER,
    "last_error" TEXT,
    "retry_until" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delivered_at" TIMESTAMPTZ(3),

    CONSTRAINT "event_deliveries_pkey" PRIMARY KEY ("endpoint_id","event_id")
);

-- CreateTable
CREATE TABLE "generated_keys" (
    "name" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "generated_keys_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE UNIQUE INDEX "events_serial_key" ON "events"("serial");

-- CreateIndex
CREATE INDEX "events_position_serial_idx" ON "events"("position", "serial");

-- CreateIndex
CREATE INDEX "events_customer_id_position_idx" ON "events"("customer_id", "position");

-- CreateIndex
CREATE INDEX "events_type_position_idx" ON "events"("type", "position");

-- CreateIndex
CREATE INDEX "events_created_at_idx" ON "events"("created_at");

-- CreateIndex
CREATE UNIQUE INDEX "events_customer_id_sequence_key" ON "events"("customer_id", "sequence");

-- CreateIndex
CREATE INDEX "webhook_endpoints_created_at_id_idx" ON "webhook_endpoints"("created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "event_deliveries_endpoint_id_customer_id_sequence_idx" ON "event_deliveries"("endpoint_id", "customer_id", "sequence");

-- CreateIndex
CREATE INDEX "event_deliveries_status_next_attempt_at_idx" ON "event_deliveries"("status", "next_attempt_at");

-- CreateIndex
CREATE INDEX "event_deliveries_endpoint_id_status_position_idx" ON "event_deliveries"("endpoint_id", "status", "position");

-- CreateIndex
CREATE INDEX "event_deliveries_endpoint_id_position_idx" ON "event_deliveries"("endpoint_id", "position");

-- CreateIndex
CREATE INDEX "event_deliveries_event_id_idx" ON "event_deliveries"("event_id");

-- AddForeignKey
ALTER TABLE "event_deliveries" ADD CONSTRAINT "event_deliveries_endpoint_id_fkey" FOREIGN KEY ("endpoint_id") REFERENCES "webhook_endpoints"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "event_deliveries" ADD CONSTRAINT "event_deliveries_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "events"("id") ON DELETE CASCADE ON UPDATE CASCADE;
