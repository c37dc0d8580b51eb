// The Vercel AI SDK (`ai` with `@ai-sdk/openai-compatible`), unchanged, against `fleetgate serve`,
// as an app developer uses it: vehicle functions declared as the app's own tools (zod schemas,
// names of its own), run by the SDK's tool loop (generateText/streamText with stopWhen), against
// a car whose chain is the on-board engine. The engine must call the app's tools with arguments
// that fit their schemas, confirm their results, say when no offered tool does what was asked,
// and the interlocks must hold the app's tools to what they do.
//   node ai_sdk_client.test.mjs FLEETGATE_BINARY
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { fleetgateCli, scratch, startServe, stopAll } from '../js_support/processes.mjs';

let ai;
let createOpenAICompatible;
let z;
try {
  ai = await import('ai');
  ({ createOpenAICompatible } = await import('@ai-sdk/openai-compatible'));
  ({ z } = await import('zod'));
} catch {
  console.error('ai_sdk_client: the npm packages are missing; run ./dev setup (npm ci in tests/ai_sdk_client)');
  process.exit(1);
}
const { generateText, streamText, stepCountIs, tool } = ai;

const [fleetgate] = process.argv.slice(2);
if (!fleetgate) {
  console.error('usage: node ai_sdk_client.test.mjs FLEETGATE_BINARY');
  process.exit(2);
}

const US_VIN = '5YJ3E1EA1PF412087';  // sold in the US: home region us, answered on board
const work = scratch('fleetgate-ai-sdk-client-');
const config = join(work, 'fleetgate.toml');

let model;
let baseURL;
let token;

before(async () => {
  writeFileSync(config, `
[server]
listen = "127.0.0.1"
port = 0
data_dir = "${join(work, 'data')}"

[[regions]]
id = "us"
name = "United States"
chain = ["onboard"]

[markets]
US = "us"

[[providers]]
id = "onboard"
kind = "onboard"
location = "vehicle"
models = ["fleetgate-onboard"]
`);
  fleetgateCli(fleetgate, config, 'fleet', 'register', US_VIN, '--market', 'US');
  token = fleetgateCli(fleetgate, config, 'fleet', 'token', US_VIN);
  baseURL = await startServe(fleetgate, config);
  model = createOpenAICompatible({ name: 'fleetgate', baseURL, apiKey: token })('fleetgate-onboard');
  // Parked: windows and the liftgate may move (with no state known, the interlocks refuse them).
  await report({ speed_kmh: 0, gear: 'P' });
});

after(stopAll);

// The car's own state report, which the interlocks read.
async function report(state) {
  const r = await fetch(`${baseURL}/vehicles/${US_VIN}/state`, {
    method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify(state) });
  assert.equal(r.status, 202, await r.text());
}

// An app's tools, as zod schemas under its own names; every execution is recorded in `calls`.
function appTools(calls) {
  const record = (name) => async (input) => {
    calls.push({ name, input });
    return { ok: true };
  };
  return {
    setCabinTemperature: tool({
      description: 'Set the cabin temperature.',
      inputSchema: z.object({ temp_f: z.number().min(60).max(85).describe('Target cabin temperature in degrees Fahrenheit') }),
      execute: record('setCabinTemperature'),
    }),
    openWindows: tool({
      description: 'Open the windows, fully or partly.',
      inputSchema: z.object({
        position: z.enum(['front_left', 'front_right', 'rear_left', 'rear_right', 'all']),
        fraction: z.number().min(0).max(1).optional().describe('How far to open, 0 to 1'),
      }),
      execute: record('openWindows'),
    }),
    open_liftgate: tool({
      description: 'Opens the power liftgate.',
      inputSchema: z.object({}),
      execute: record('open_liftgate'),
    }),
    getWeather: tool({
      description: 'Get the weather forecast for a city.',
      inputSchema: z.object({ city: z.string() }),
      execute: record('getWeather'),
    }),
  };
}

describe("an app's own tools through the SDK's tool loop", () => {
  test('the temperature tool is called in Fahrenheit as its schema asks, and its result confirmed', async () => {
    const calls = [];
    const result = await generateText({
      model, tools: appTools(calls), stopWhen: stepCountIs(3), prompt: 'set the temperature to 22 degrees' });
    assert.deepEqual(calls, [{ name: 'setCabinTemperature', input: { temp_f: 71.6 } }]);
    assert.equal(result.steps.length, 2, JSON.stringify(result.steps.map((s) => s.finishReason)));
    assert.equal(result.steps[0].finishReason, 'tool-calls');
    assert.equal(result.finishReason, 'stop');
    assert.ok(result.text.length > 0, 'the engine confirms the tool result in words');
  });

  test('streamed: "open the windows halfway" opens all windows to a fraction of 0.5', async () => {
    const calls = [];
    const result = streamText({
      model, tools: appTools(calls), stopWhen: stepCountIs(3), prompt: 'open the windows halfway' });
    const text = await result.text;
    assert.deepEqual(calls, [{ name: 'openWindows', input: { position: 'all', fraction: 0.5 } }]);
    assert.ok(text.length > 0);
  });

  test('German and Chinese requests reach the same tools', async () => {
    const calls = [];
    await generateText({ model, tools: appTools(calls), stopWhen: stepCountIs(3), prompt: 'Temperatur auf 20 Grad' });
    await generateText({ model, tools: appTools(calls), stopWhen: stepCountIs(3), prompt: '打开所有车窗' });
    assert.deepEqual(calls, [
      { name: 'setCabinTemperature', input: { temp_f: 68 } },
      { name: 'openWindows', input: { position: 'all', fraction: 1 } },
    ]);
  });

  test('when no offered tool does it, nothing is called and the answer says so', async () => {
    const calls = [];
    const result = await generateText({
      model, tools: appTools(calls), stopWhen: stepCountIs(3), prompt: 'open the sunroof' });
    assert.deepEqual(calls, []);
    assert.equal(result.finishReason, 'stop');
    assert.equal(result.text, 'I understood: sunroof, open. None of the functions offered here does that.');
  });

  test("toolChoice 'none' calls nothing and does not claim the tool is missing", async () => {
    const calls = [];
    const result = await generateText({
      model, tools: appTools(calls), toolChoice: 'none', prompt: 'open the trunk' });
    assert.deepEqual(calls, []);
    assert.equal(result.text, "I understood: trunk, open. I won't call a function in this reply.");
  });

  test("the app's liftgate tool is held to the trunk's interlock while the car moves", async () => {
    await report({ speed_kmh: 40, gear: 'D' });
    const moving = [];
    const refused = await generateText({
      model, tools: appTools(moving), stopWhen: stepCountIs(3), prompt: 'open the trunk' });
    assert.deepEqual(moving, [], 'a liftgate opening while driving never reaches the app');
    assert.equal(refused.finishReason, 'stop');
    assert.match(refused.text, /trunk|liftgate/i);

    await report({ speed_kmh: 0, gear: 'P' });
    const parked = [];
    await generateText({ model, tools: appTools(parked), stopWhen: stepCountIs(3), prompt: 'open the trunk' });
    assert.deepEqual(parked, [{ name: 'open_liftgate', input: {} }]);
  });
});
