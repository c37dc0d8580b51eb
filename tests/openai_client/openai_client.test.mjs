// The official OpenAI Node client, unchanged, against `fleetgate serve`: chat (plain and
// streamed), tool calls (plain and streamed, allowed and refused by an interlock), an app's own
// tools under its own names (runTools(), streamed, tool_choice, interlocks), models.list()
// and the error classes the client maps fleetgate's errors to. Two vehicles: one homed in eu,
// whose chain is a mock upstream, one in us, whose chain is the on-board engine.
//   node openai_client.test.mjs FLEETGATE_BINARY MOCK_UPSTREAM_BINARY
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { fleetgateCli, scratch, startAndWaitFor, startServe, stopAll } from '../js_support/processes.mjs';

let OpenAI;
try {
  ({ default: OpenAI } = await import('openai'));
} catch {
  console.error('openai_client: the openai npm package is missing; run ./dev setup (npm ci in tests/openai_client)');
  process.exit(1);
}

const [fleetgate, mockUpstream] = process.argv.slice(2);
if (!fleetgate || !mockUpstream) {
  console.error('usage: node openai_client.test.mjs FLEETGATE_BINARY MOCK_UPSTREAM_BINARY');
  process.exit(2);
}

const EU_VIN = 'LRW3E7EA8PC390117';  // sold in Germany: home region eu, answered by the mock
const US_VIN = '5YJ3E1EA1PF412087';  // sold in the US: home region us, answered on board
const MOCK_KEY = 'mock-provider-key';
const work = scratch('fleetgate-openai-client-');
const fg = (...args) => fleetgateCli(fleetgate, join(work, 'fleetgate.toml'), ...args);

let eu;    // OpenAI client of the eu vehicle
let us;    // OpenAI client of the us vehicle
let usToken;
let baseURL;

before(async () => {
  const [, mockUrl] = await startAndWaitFor(
    mockUpstream, ['--identity', 'mock-eu', '--location', 'eu', '--model', 'mock-model', '--api-key', MOCK_KEY],
    /listening on (http:\/\/\S+)/);
  writeFileSync(join(work, 'fleetgate.toml'), `
[server]
listen = "127.0.0.1"
port = 0
data_dir = "${join(work, 'data')}"

[[regions]]
id = "eu"
name = "European Union"
chain = ["mock-eu", "onboard"]

[[regions]]
id = "us"
name = "United States"
chain = ["onboard"]

[markets]
DE = "eu"
US = "us"

[[providers]]
id = "mock-eu"
kind = "openai-compatible"
base_url = "${mockUrl}"
api_key_env = "FG_OPENAI_TEST_MOCK_KEY"
location = "eu"
models = ["mock-model"]

[[providers]]
id = "onboard"
kind = "onboard"
location = "vehicle"
models = ["fleetgate-onboard"]
`);
  fg('fleet', 'register', EU_VIN, '--market', 'DE');
  fg('fleet', 'register', US_VIN, '--market', 'US');
  const euToken = fg('fleet', 'token', EU_VIN);
  usToken = fg('fleet', 'token', US_VIN);
  baseURL = await startServe(fleetgate, join(work, 'fleetgate.toml'), { FG_OPENAI_TEST_MOCK_KEY: MOCK_KEY });
  eu = new OpenAI({ apiKey: euToken, baseURL, maxRetries: 0, timeout: 20000 });
  us = new OpenAI({ apiKey: usToken, baseURL, maxRetries: 0, timeout: 20000 });
});

after(stopAll);

const ask = (content, extra = {}) => ({ model: 'mock-model', messages: [{ role: 'user', content }], ...extra });

// Tool calls of a stream, assembled from their deltas by index, and the text around them.
async function assemble(stream) {
  let text = '';
  const calls = [];
  let finish = null;
  for await (const chunk of stream) {
    for (const choice of chunk.choices) {
      text += choice.delta?.content ?? '';
      for (const d of choice.delta?.tool_calls ?? []) {
        calls[d.index] ??= { id: '', name: '', arguments: '' };
        calls[d.index].id += d.id ?? '';
        calls[d.index].name += d.function?.name ?? '';
        calls[d.index].arguments += d.function?.arguments ?? '';
      }
      finish = choice.finish_reason ?? finish;
    }
  }
  return { text, calls, finish };
}

// The us vehicle's own state report, which the interlocks read.
async function report(state) {
  const r = await fetch(`${baseURL}/vehicles/${US_VIN}/state`, {
    method: 'POST', headers: { authorization: `Bearer ${usToken}` }, body: JSON.stringify(state) });
  assert.equal(r.status, 202, await r.text());
}

describe('chat through the home region', () => {
  test('non-streaming chat is answered by the region provider', async () => {
    const { data, response } = await eu.chat.completions.create(ask('hello there')).withResponse();
    assert.equal(data.object, 'chat.completion');
    assert.equal(data.choices[0].message.role, 'assistant');
    assert.equal(data.choices[0].message.content.trim(), 'answer from mock-eu');
    assert.equal(data.choices[0].finish_reason, 'stop');
    assert.ok(data.usage.total_tokens > 0);
    assert.equal(response.headers.get('x-fleetgate-provider'), 'mock-eu');
    assert.equal(response.headers.get('x-fleetgate-region'), 'eu');
  });

  test('streaming chat arrives in chunks that assemble to the answer', async () => {
    const stream = await eu.chat.completions.create(ask('hello there', { stream: true }));
    let chunks = 0;
    let text = '';
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      chunks += 1;
      text += chunk.choices[0]?.delta?.content ?? '';
    }
    assert.ok(chunks > 1, `expected several chunks, got ${chunks}`);
    assert.equal(text.trim(), 'answer from mock-eu');
  });

  test('usage is streamed when the client asks for it', async () => {
    const stream = await eu.chat.completions.create(ask('hello', { stream: true, stream_options: { include_usage: true } }));
    let usage = null;
    for await (const chunk of stream) usage = chunk.usage ?? usage;
    assert.ok(usage && usage.prompt_tokens > 0 && usage.completion_tokens > 0, JSON.stringify(usage));
  });

  test('a model the region does not offer is served by the region model, never elsewhere', async () => {
    const { data, response } = await us.chat.completions.create(ask('hello', { model: 'gpt-4o' })).withResponse();
    assert.equal(data.model, 'fleetgate-onboard');
    assert.equal(response.headers.get('x-fleetgate-region'), 'us');
  });
});

describe('tool calls', () => {
  const climate = ask('set the temperature to 21 degrees', { model: 'fleetgate-onboard' });

  test('a non-streamed tool call carries arguments that parse', async () => {
    const completion = await us.chat.completions.create(climate);
    const choice = completion.choices[0];
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.tool_calls.length, 1);
    const call = choice.message.tool_calls[0];
    assert.equal(call.type, 'function');
    assert.equal(call.function.name, 'set_temperature');
    assert.equal(JSON.parse(call.function.arguments).celsius, 21);

    // The tool's result goes back in the conversation and the assistant confirms.
    const followUp = await us.chat.completions.create({
      model: 'fleetgate-onboard',
      messages: [...climate.messages, choice.message,
                 { role: 'tool', tool_call_id: call.id, content: JSON.stringify({ ok: true }) }],
    });
    assert.equal(followUp.choices[0].finish_reason, 'stop');
    assert.ok(followUp.choices[0].message.content.length > 0);
  });

  test('a streamed tool call assembles to arguments that parse', async () => {
    const { text, calls, finish } = await assemble(await us.chat.completions.create({ ...climate, stream: true }));
    assert.equal(finish, 'tool_calls');
    assert.equal(calls.length, 1, `${JSON.stringify(calls)} ${text}`);
    assert.equal(calls[0].name, 'set_temperature');
    assert.ok(calls[0].id.length > 0);
    assert.equal(JSON.parse(calls[0].arguments).celsius, 21);
  });

  test('an interlock refusal comes back as an assistant message', async () => {
    await report({ speed_kmh: 50, gear: 'D' });
    const trunk = ask('open the trunk', { model: 'fleetgate-onboard' });
    const completion = await us.chat.completions.create(trunk);
    const choice = completion.choices[0];
    assert.equal(choice.message.role, 'assistant');
    assert.equal(choice.message.tool_calls ?? undefined, undefined);
    assert.equal(choice.finish_reason, 'stop');
    assert.match(choice.message.content, /trunk/i);

    const { text, calls, finish } = await assemble(await us.chat.completions.create({ ...trunk, stream: true }));
    assert.equal(calls.length, 0);
    assert.equal(finish, 'stop');
    assert.equal(text, choice.message.content);

    // Parked, the same request passes the interlock as a tool call.
    await report({ speed_kmh: 0, gear: 'P' });
    const allowed = (await us.chat.completions.create(trunk)).choices[0];
    assert.equal(allowed.finish_reason, 'tool_calls');
    assert.equal(allowed.message.tool_calls[0].function.name, 'trunk');
    assert.deepEqual(JSON.parse(allowed.message.tool_calls[0].function.arguments), { action: 'open' });
  });
});

describe("an app's own tools, under its own names", () => {
  // As an app declares its vehicle functions: names, descriptions and schemas of its own.
  const cabin = {
    type: 'function',
    function: {
      name: 'setCabinTemperature', description: 'Set the cabin temperature.',
      parameters: { type: 'object', additionalProperties: false, required: ['temp_f'],
                    properties: { temp_f: { type: 'number', minimum: 60, maximum: 85,
                                            description: 'Target cabin temperature in degrees Fahrenheit' } } },
    },
  };
  const liftgate = {
    type: 'function',
    function: { name: 'open_liftgate', description: 'Opens the power liftgate.', parameters: { type: 'object', properties: {} } },
  };
  const seats = {
    type: 'function',
    function: {
      name: 'setSeatHeater', description: 'Seat heater level.',
      parameters: { type: 'object', required: ['seat', 'level'],
                    properties: { seat: { type: 'string', enum: ['driver', 'passenger'] },
                                  level: { type: 'string', enum: ['off', 'low', 'medium', 'high'] } } },
    },
  };
  const onboard = (content, tools, extra = {}) => ({
    model: 'fleetgate-onboard', messages: [{ role: 'user', content }], tools, ...extra });

  test("runTools() runs the app's function with arguments in its units and gets a confirmation", async () => {
    const ran = [];
    const runner = us.chat.completions.runTools({
      ...onboard('set the temperature to 22 degrees', []),
      tools: [{
        type: 'function',
        function: { ...cabin.function, parse: JSON.parse,
                    function: async (args) => { ran.push(args); return { ok: true }; } },
      }],
    });
    const answer = await runner.finalContent();
    assert.deepEqual(ran, [{ temp_f: 71.6 }]);
    assert.ok(answer && answer.length > 0, 'the engine confirms the result in words');
  });

  test('a streamed call of the app tool that does what was asked, with its enum values', async () => {
    const { calls, finish } = await assemble(await us.chat.completions.create(
      onboard('seat heating level 2 for the passenger', [cabin, liftgate, seats], { stream: true })));
    assert.equal(finish, 'tool_calls');
    assert.equal(calls.length, 1, JSON.stringify(calls));
    assert.equal(calls[0].name, 'setSeatHeater');
    assert.deepEqual(JSON.parse(calls[0].arguments), { seat: 'passenger', level: 'medium' });
  });

  test('German: the same app tools', async () => {
    const choice = (await us.chat.completions.create(onboard('Kofferraum öffnen', [cabin, liftgate]))).choices[0];
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.tool_calls[0].function.name, 'open_liftgate');
    assert.deepEqual(JSON.parse(choice.message.tool_calls[0].function.arguments), {});
  });

  test('no offered tool fits: no call, and an answer that says what was understood', async () => {
    const choice = (await us.chat.completions.create(onboard('open the sunroof', [cabin, liftgate]))).choices[0];
    assert.equal(choice.finish_reason, 'stop');
    assert.equal(choice.message.tool_calls ?? undefined, undefined);
    assert.equal(choice.message.content, 'I understood: sunroof, open. None of the functions offered here does that.');
  });

  test("tool_choice names a function: it is called, or the answer says it does not do that", async () => {
    const named = (name) => ({ type: 'function', function: { name } });
    const called = (await us.chat.completions.create(
      onboard('open the trunk', [cabin, liftgate], { tool_choice: named('open_liftgate') }))).choices[0];
    assert.equal(called.message.tool_calls[0].function.name, 'open_liftgate');
    const other = (await us.chat.completions.create(
      onboard('open the trunk', [cabin, liftgate], { tool_choice: named('setCabinTemperature') }))).choices[0];
    assert.equal(other.message.tool_calls ?? undefined, undefined);
    assert.equal(other.message.content, 'I understood: trunk, open. None of the functions offered here does that.');
  });

  test("the app's liftgate is refused while moving, streamed and not", async () => {
    await report({ speed_kmh: 30, gear: 'D' });
    const plain = (await us.chat.completions.create(onboard('open the trunk', [cabin, liftgate]))).choices[0];
    assert.equal(plain.finish_reason, 'stop');
    assert.equal(plain.message.tool_calls ?? undefined, undefined);
    const streamed = await assemble(await us.chat.completions.create(onboard('open the trunk', [cabin, liftgate], { stream: true })));
    assert.equal(streamed.calls.length, 0);
    assert.equal(streamed.text, plain.message.content);
    await report({ speed_kmh: 0, gear: 'P' });
  });
});

describe('models', () => {
  test('models.list() shows the home region chain only', async () => {
    const euModels = [];
    for await (const m of eu.models.list()) euModels.push(m.id);
    assert.deepEqual(euModels.sort(), ['fleetgate-onboard', 'mock-model']);
    const usModels = [];
    for await (const m of us.models.list()) usModels.push(m.id);
    assert.deepEqual(usModels, ['fleetgate-onboard']);
  });
});

describe('errors map to the client error classes', () => {
  test('a bad token is an AuthenticationError (401)', async () => {
    const stranger = new OpenAI({ apiKey: 'not-a-token', baseURL, maxRetries: 0 });
    await assert.rejects(stranger.chat.completions.create(ask('hello')), (e) => {
      assert.ok(e instanceof OpenAI.AuthenticationError, `${e.constructor.name}: ${e.message}`);
      assert.equal(e.status, 401);
      return true;
    });
    await assert.rejects(stranger.models.list(), OpenAI.AuthenticationError);
  });

  test('a malformed request is a BadRequestError (400) naming the field', async () => {
    await assert.rejects(eu.chat.completions.create({ model: 'mock-model', messages: [] }), (e) => {
      assert.ok(e instanceof OpenAI.BadRequestError, `${e.constructor.name}: ${e.message}`);
      assert.equal(e.status, 400);
      assert.match(e.message, /messages/);
      return true;
    });
  });

  test('an endpoint fleetgate does not serve is a NotFoundError (404)', async () => {
    await assert.rejects(eu.embeddings.create({ model: 'mock-model', input: 'hello' }), (e) => {
      assert.ok(e instanceof OpenAI.NotFoundError, `${e.constructor.name}: ${e.message}`);
      assert.equal(e.status, 404);
      return true;
    });
  });
});
