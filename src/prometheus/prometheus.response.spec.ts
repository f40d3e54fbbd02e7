import { ApiError } from '../common/api-error.js';
import { interpretResponse, parseMatrix, parseVector, type UpstreamFailure } from './prometheus.response.js';

const success = (data: unknown) => JSON.stringify({ status: 'success', data });
const failure = (errorType: string, error = 'parse error at char 7: secret internals') => JSON.stringify({ status: 'error', errorType, error });

function thrown(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    return error as ApiError;
  }
  throw new Error('expected a throw');
}

describe('interpretResponse', () => {
  it('returns data of a success, from text or parsed JSON', () => {
    const data = { resultType: 'vector', result: [] };
    expect(interpretResponse(200, success(data))).toEqual(data);
    expect(interpretResponse(200, JSON.parse(success(data)))).toEqual(data);
  });

  it.each([
    ['bad_data 400', 400, failure('bad_data'), 'PROMETHEUS_ERROR', { errorType: 'bad_data' }],
    ['execution 422', 422, failure('execution'), 'PROMETHEUS_ERROR', { errorType: 'execution' }],
    ['internal 500', 500, failure('internal'), 'PROMETHEUS_ERROR', { errorType: 'internal' }],
    ['odd errorType is not echoed', 400, failure('Bad Data <script>'), 'PROMETHEUS_ERROR', { errorType: 'unknown' }],
    ['timeout 503', 503, failure('timeout'), 'PROMETHEUS_UNAVAILABLE', undefined],
    ['canceled 503', 503, failure('canceled'), 'PROMETHEUS_UNAVAILABLE', undefined],
    ['unavailable 503', 503, failure('unavailable'), 'PROMETHEUS_UNAVAILABLE', undefined],
    ['proxy 502 text', 502, '<html>Bad Gateway</html>', 'PROMETHEUS_UNAVAILABLE', undefined],
    ['proxy 503 text', 503, 'upstream connect error', 'PROMETHEUS_UNAVAILABLE', undefined],
    ['proxy 504 text', 504, '', 'PROMETHEUS_UNAVAILABLE', undefined],
    ['429 too many requests', 429, 'slow down', 'PROMETHEUS_UNAVAILABLE', undefined],
    ['401 from an auth proxy', 401, 'Unauthorized', 'PROMETHEUS_ERROR', undefined],
    ['403 from an auth proxy', 403, '{"message":"denied"}', 'PROMETHEUS_ERROR', undefined],
    ['404: not a Prometheus API', 404, '404 page not found', 'PROMETHEUS_ERROR', undefined],
    ['200 that is not JSON', 200, '<html>login</html>', 'PROMETHEUS_ERROR', undefined],
    ['200 without data', 200, '{"status":"success"}', 'PROMETHEUS_ERROR', undefined],
    ['200 with status error', 200, failure('bad_data'), 'PROMETHEUS_ERROR', { errorType: 'bad_data' }],
    ['500 text', 500, 'panic: runtime error', 'PROMETHEUS_ERROR', undefined],
  ])('%s -> %s', (_name, status, body, code, details) => {
    const failures: UpstreamFailure[] = [];
    const error = thrown(() => interpretResponse(status, body, (failure) => failures.push(failure)));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.code).toBe(code);
    expect(error.details).toEqual(details);
    // The raw upstream text never reaches the caller-visible error...
    expect(error.message).not.toContain('secret internals');
    expect(error.message).not.toContain(String(body).slice(0, 20) || '\u0000');
    // ...but is handed to the logger.
    expect(failures).toHaveLength(1);
    expect(failures[0]!.status).toBe(status);
  });
});

describe('parseMatrix', () => {
  it('turns values into numbers and drops NaN and infinite points', () => {
    const series = parseMatrix({
      resultType: 'matrix',
      result: [
        {
          metric: {},
          values: [
            [1700000000, '12.4'],
            [1700000060, 'NaN'],
            [1700000120, '+Inf'],
            [1700000180, '-Inf'],
            [1700000240, '0'],
            [1700000300, ''],
            [1700000360, 'abc'],
            [1700000420, '1e-3'],
            ['bad', '1'],
            [1700000480],
            'junk',
          ],
        },
      ],
    });
    expect(series).toEqual([
      {
        labels: {},
        points: [
          { timestamp: 1700000000, value: 12.4 },
          { timestamp: 1700000240, value: 0 },
          { timestamp: 1700000420, value: 0.001 },
        ],
      },
    ]);
  });

  it('keeps labels and every series; an empty result is no series', () => {
    expect(parseMatrix({ resultType: 'matrix', result: [] })).toEqual([]);
    expect(parseMatrix({ resultType: 'matrix', result: [{ metric: { le: '10', n: 3 }, values: [] }] })).toEqual([{ labels: { le: '10' }, points: [] }]);
  });

  it.each([
    ['a vector', { resultType: 'vector', result: [] }],
    ['no result', { resultType: 'matrix' }],
    ['nothing', undefined],
  ])('refuses %s', (_name, data) => {
    expect(thrown(() => parseMatrix(data)).code).toBe('PROMETHEUS_ERROR');
  });
});

describe('parseVector', () => {
  it('keeps finite samples with their labels', () => {
    const samples = parseVector({
      resultType: 'vector',
      result: [
        { metric: { response_code: '200' }, value: [1700000000.5, '9.5'] },
        { metric: { response_code: '503' }, value: [1700000000.5, 'NaN'] },
        { metric: { response_code: '0' }, value: [1700000000.5, '0.5'] },
      ],
    });
    expect(samples).toEqual([
      { labels: { response_code: '200' }, timestamp: 1700000000.5, value: 9.5 },
      { labels: { response_code: '0' }, timestamp: 1700000000.5, value: 0.5 },
    ]);
  });

  it('refuses a matrix', () => {
    expect(thrown(() => parseVector({ resultType: 'matrix', result: [] })).code).toBe('PROMETHEUS_ERROR');
  });
});
