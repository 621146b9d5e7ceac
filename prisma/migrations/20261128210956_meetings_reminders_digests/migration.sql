/*
  Warnings:

  - A unique constraint covering the columns `[meetingId,offsetMinutes]` on the table `Reminder` will be added. If there are existing duplicate values, this will fail.
  - A unique constraint covering the columns `[taskId,kind]` on the table `Reminder` will be added. If there are existing duplicate values, this will fail.

*/
-- AlterTable
ALTER TABLE "Commune" ADD COLUMN     "lastRoomDigestOn" TEXT;

-- AlterTable
ALTER TABLE "Member" ADD COLUMN     "lastDigestOn" TEXT;

-- AlterTable
ALTER TABLE "Reminder" ADD COLUMN     "offsetMinutes" INTEGER,
ADD COLUMN     "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- CreateIndex
CREATE UNIQUE INDEX "Reminder_meetingId_offsetMinutes_key" ON "Reminder"("meetingId", "offsetMinutes");

-- CreateIndex
CREATE UNIQUE INDEX "Reminder_taskId_kind_key" ON "Reminder"("taskId", "kind");
