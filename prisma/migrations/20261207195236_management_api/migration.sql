-- AlterTable
ALTER TABLE "applications" ADD COLUMN     "management_api" BOOLEAN NOT NULL DEFAULT false;

