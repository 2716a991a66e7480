/** A GraphQL client for the tests: POSTs to the query node and returns the parsed answer. */

export interface GraphqlAnswer<T = Record<string, any>> {
  status: number;
  data?: T;
  errors?: Array<{ message: string }>;
}

export async function graphql<T = Record<string, any>>(
  endpoint: string,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphqlAnswer<T>> {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as object) };
}

/** The data of a query that must succeed. */
export async function data<T = Record<string, any>>(endpoint: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const answer = await graphql<T>(endpoint, query, variables);
  if (answer.errors || answer.data === undefined) {
    throw new Error(`query failed: ${JSON.stringify(answer.errors)}\n${query}`);
  }
  return answer.data;
}

/** Waits until `check` holds, polling; fails after `limitMs` (a safety net, not a timed assertion). */
export async function eventually(check: () => Promise<boolean>, limitMs = 60_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
