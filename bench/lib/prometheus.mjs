// Direct Prometheus access for the benchmark: the baseline query_range, and Prometheus' own count
// of the query_range requests it received (to prove the service merges identical requests).

/** Sum of prometheus_http_requests_total{handler="/api/v1/query_range"} over all codes. */
export async function queryRangeRequestsReceived(prometheusUrl) {
  const text = await (await fetch(`${prometheusUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('prometheus_http_requests_total{') && line.includes('handler="/api/v1/query_range"')) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}

/** What a portal would do without the service: POST the same query_range and parse the answer. */
export async function directQueryRange(prometheusUrl, form) {
  const response = await fetch(`${prometheusUrl}/api/v1/query_range`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  const body = await response.json();
  if (!response.ok || body.status !== 'success') throw new Error(`query_range failed: HTTP ${response.status} ${JSON.stringify(body).slice(0, 200)}`);
  return body;
}
