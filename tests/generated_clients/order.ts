// One full order through a client generated from the served OpenAPI document (openapi-typescript types,
// openapi-fetch calls): create, a line, submit, approve, confirm, ship, invoice, pay. Compiled with
// `tsc --strict` first, so a body or a response the types cannot express fails before anything runs.
// tests/e2e/test_generated_clients.py writes generated/schema.d.ts, compiles this file and runs it.
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/schema.js";

// Node's environment, without @types/node for one property.
declare const process: { env: Record<string, string | undefined> };

type Order = components["schemas"]["OrderOut"];

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const baseUrl = env("ORDERGATE_API");
const as = (token: string) => createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
const buyer = as(env("ORDERGATE_BUYER_TOKEN"));
const approver = as(env("ORDERGATE_APPROVER_TOKEN"));
const staff = as(env("ORDERGATE_STAFF_TOKEN"));

function ok<T>(step: string, result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data === undefined) {
    throw new Error(`${step}: ${result.response.status} ${JSON.stringify(result.error)}`);
  }
  return result.data;
}

const path = (order: Order) => ({ params: { path: { order_id: order.id } } });
const steps: string[] = [];
const step = (name: string, order: Order): Order => {
  steps.push(`${name}:${order.status}`);
  return order;
};

let order = step("create", ok("create", await buyer.POST("/orders", { body: { customer_reference: "TS-1" } })));
order = step(
  "line",
  ok("line", await buyer.POST("/orders/{order_id}/lines", { ...path(order), body: { sku: env("ORDERGATE_SKU"), quantity: 3 } })),
);
order = step("submit", ok("submit", await buyer.POST("/orders/{order_id}/submit", path(order))));
order = step("approve", ok("approve", await approver.POST("/orders/{order_id}/approve", path(order))));
order = step("confirm", ok("confirm", await staff.POST("/orders/{order_id}/confirm", path(order))));
order = step(
  "ship",
  ok("ship", await staff.POST("/orders/{order_id}/shipments", { ...path(order), body: { date: "2026-12-07", document_number: "DN-TS-1" } })),
);
const gross: string = order.totals.gross;
order = step(
  "invoice",
  ok("invoice", await staff.POST("/orders/{order_id}/invoices", { ...path(order), body: { date: "2026-12-07", number: "INV-TS-1", amount: gross } })),
);
order = step(
  "pay",
  ok("pay", await staff.POST("/orders/{order_id}/payments", { ...path(order), body: { date: "2026-12-08", reference: "PAY-TS-1", amount: gross } })),
);
console.log(JSON.stringify({ id: order.id, status: order.status, payment_status: order.payment_status, steps }));
