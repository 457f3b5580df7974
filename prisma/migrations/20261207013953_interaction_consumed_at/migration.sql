-- AlterTable
ALTER TABLE "interactions" ADD COLUMN     "consumed_at" TIMESTAMPTZ(3),
ALTER COLUMN "request" DROP NOT NULL;

