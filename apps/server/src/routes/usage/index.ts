import { type SpendResponse, spendSpans } from "@loop/shared";
import type { FastifyPluginAsync } from "fastify";

/** GET /api/usage: what all tasks spent today, over 7 days and ever, per agent (the home page's summary). */
export const usageRoutes: FastifyPluginAsync = async (app) => {
  app.get("/usage", async (): Promise<SpendResponse> => {
    const spans = spendSpans(new Date());
    const { iterations } = app.repos;
    return {
      today: iterations.spendSince(spans.todayFrom),
      week: iterations.spendSince(spans.weekFrom),
      all: iterations.spendSince(null),
      ...spans,
    };
  });
};
