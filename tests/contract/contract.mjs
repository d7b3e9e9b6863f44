// Contract test: starts the real replgw on 127.0.0.1 with a temporary database, drives every
// operation of openapi.yaml (successes and errors), and checks each live response against the
// contract: the status is documented for the operation, the content type is one it documents,
// and the JSON body validates against its schema. Every example in the spec is validated too.
// Usage: node contract.mjs <replgw binary> <openapi.yaml>   (yaml and ajv come from npm)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(process.env.REPLGW_TOOLS_MODULES + '/');
const YAML = require('yaml');
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;

const [bin, specPath] = process.argv.slice(2);
const spec = YAML.parse(readFileSync(specPath, 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(spec, 'spec');

let passed = 0;
let failed = 0;
const check = (ok, what) => {
  if (ok) passed++;
  else {
    failed++;
    console.log(`FAIL ${what}`);
  }
};

const pointer = (parts) =>
  'spec#/' + parts.map((p) => String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
const deref = (obj) => {
  while (obj && obj.$ref) {
    obj = obj.$ref
      .slice(2)
      .split('/')
      .reduce((o, k) => o[k.replaceAll('~1', '/').replaceAll('~0', '~')], spec);
  }
  return obj;
};
const validatorAt = (parts) => ajv.getSchema(pointer(parts)) || ajv.compile({ $ref: pointer(parts) });

// Every example, request or response, validates against its own schema.
function checkExamples() {
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (typeof op !== 'object' || !op.responses) continue;
      const media = [];
      if (op.requestBody)
        for (const [type, m] of Object.entries(op.requestBody.content || {}))
          media.push({ m, at: ['paths', path, method, 'requestBody', 'content', type] });
      for (const [status, r] of Object.entries(op.responses)) {
        let at = ['paths', path, method, 'responses', status];
        const resolved = deref(r);
        if (r.$ref) at = r.$ref.slice(2).split('/');
        for (const [type, m] of Object.entries(resolved.content || {}))
          media.push({ m, at: [...at, 'content', type] });
      }
      for (const { m, at } of media) {
        if (!m.schema || !m.examples) continue;
        const validate = validatorAt([...at, 'schema']);
        for (const [name, ex] of Object.entries(m.examples)) {
          const ok = validate(deref(ex).value);
          check(ok, `example ${method.toUpperCase()} ${path} ${at.slice(-3).join(' ')} ${name}: ${ajv.errorsText(validate.errors)}`);
        }
      }
    }
  }
}

// The operation whose path template matches a concrete path.
function findOperation(method, path) {
  for (const [template, item] of Object.entries(spec.paths)) {
    const re = new RegExp('^' + template.replace(/\{[^}]+\}/g, '[^/]+') + '$');
    if (re.test(path) && item[method.toLowerCase()]) return { template, op: item[method.toLowerCase()] };
  }
  return null;
}

async function start() {
  const dir = mkdtempSync(join(tmpdir(), 'replgw-contract-'));
  const child = spawn(bin, ['--listen', '127.0.0.1', '--port', '0', '--db', join(dir, 'c.db'),
                            '--system-name', 'tgt01', '--access-log=false', '--max-body', '8192',
                            '--access-point', 'peer1'],
                      { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('replgw did not report its port')), 10000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on http:\/\/[^:]+:(\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  return { child, dir, port };
}

async function exchange(base, method, path, { body, headers = {} } = {}) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  const found = findOperation(method, path.split('?')[0]);
  const what = `${method} ${path} -> ${res.status}`;
  check(found, `${what}: no such operation in openapi.yaml`);
  if (!found) return { res, text };
  const documented = found.op.responses[String(res.status)] ?? found.op.responses.default;
  check(documented, `${what}: status not documented`);
  if (!documented || !text) return { res, text };
  const resolved = deref(documented);
  const type = (res.headers.get('content-type') || '').split(';')[0];
  const media = resolved.content && resolved.content[type];
  check(media, `${what}: content type ${type} not documented`);
  if (media && media.schema && type.endsWith('json')) {
    const at = documented.$ref
      ? [...documented.$ref.slice(2).split('/'), 'content', type, 'schema']
      : ['paths', found.template, method.toLowerCase(), 'responses', String(res.status), 'content', type, 'schema'];
    const validate = validatorAt(at);
    check(validate(JSON.parse(text)), `${what}: body does not match: ${ajv.errorsText(validate.errors)}`);
  }
  return { res, text };
}

const vol = (d) =>
  `/root/cimv2/storage/iscsitarget:MSISCSITARGET_StorageVolume.CreationClassName="MSISCSITARGET_StorageVolume",DeviceID="${d}",SystemCreationClassName="CIM_ComputerSystem",SystemName="tgt01"`;

async function scenario(base) {
  const x = (m, p, o) => exchange(base, m, p, o);
  for (const d of ['v1', 'v2', 'v3', 'v4']) await x('POST', '/logical-elements', { body: { DeviceID: d } });
  await x('POST', '/logical-elements', { body: { DeviceID: 'v1' } });                 // 409
  await x('POST', '/logical-elements', { body: {} });                                 // 422
  await x('POST', '/logical-elements', { body: { DeviceID: 1 } });                    // 400
  await x('GET', '/logical-elements?limit=2');
  await x('GET', '/logical-elements/1');
  await x('GET', '/logical-elements/99');                                             // 404
  const created = await x('POST', '/replication-groups', {
    body: { GroupName: 'db', Members: [vol('v1'), '/logical-elements/2'],
            ReplicationSettingData: { ConsistentPointInTime: true, OnGroupOrListError: 3 } },
    headers: { 'idempotency-key': 'contract-1' } });
  const etag = created.res.headers.get('etag');
  await x('POST', '/replication-groups', { body: { GroupName: 'db' }, headers: { 'idempotency-key': 'contract-1' } }); // 422 reuse
  await x('POST', '/replication-groups', { body: { GroupName: 'db' } });              // 409
  await x('POST', '/replication-groups', { body: { Members: ['/logical-elements/9'] } }); // 422
  await x('POST', '/replication-groups', { body: '{"GroupName":' });                  // 400
  await x('POST', '/replication-groups', { body: { ServiceAccessPoint: '/root/cimv2/storage/iscsitarget:CIM_RemoteServiceAccessPoint.CreationClassName="CIM_RemoteServiceAccessPoint",Name="peer1",SystemCreationClassName="CIM_ComputerSystem",SystemName="tgt01"' } }); // 501
  await x('POST', '/replication-groups', { body: '{}', headers: { 'content-type': 'text/plain' } }); // 415
  await x('POST', '/replication-groups', { body: JSON.stringify({ GroupName: 'x'.repeat(9000) }) }); // 413
  await x('GET', '/replication-groups', { headers: { accept: 'text/html' } });        // 406
  await x('POST', '/replication-groups', { body: { ReplicationSettingData: 'instance of CIM_ReplicationSettingData { Pairing = 3; };', Persistent: false } });
  await x('GET', '/replication-groups?limit=1&ElementNamePrefix=d');
  await x('GET', '/replication-groups?limit=0');                                       // 400
  await x('GET', '/replication-groups/1');
  await x('GET', '/replication-groups/1', { headers: { 'if-none-match': etag } });     // 304
  await x('GET', '/replication-groups/1/members');
  await x('PATCH', '/replication-groups/1', { body: { ElementName: 'db2' }, headers: { 'if-match': etag } });
  await x('PATCH', '/replication-groups/1', { body: { ElementName: 'db3' }, headers: { 'if-match': etag } }); // 412
  await x('PATCH', '/replication-groups/1', { body: { InstanceID: 'x' } });           // 400
  await x('PATCH', '/replication-groups/1', { body: { ElementName: '' } });           // 422
  await x('POST', '/replication-groups/1/add-members', { body: { Members: ['/logical-elements/3'] } });
  await x('POST', '/replication-groups/9/add-members', { body: { Members: ['/logical-elements/3'] } }); // 404
  await x('POST', '/replication-groups/2/add-members', { body: { Members: ['/logical-elements/1'] } }); // 409
  await x('POST', '/replication-groups/1/remove-members', { body: { Members: ['/logical-elements/4'] } }); // 409 (8)
  await x('POST', '/replication-groups/1/remove-members', { body: { Members: ['/logical-elements/3'] } });
  await x('DELETE', '/replication-groups/1');                                          // 409
  await x('DELETE', '/logical-elements/2');                                            // 200 with lists
  await x('DELETE', '/logical-elements/4');                                            // 204
  await x('DELETE', '/replication-groups/1?RemoveElements=true');                      // 204
  await x('DELETE', '/replication-groups/1');                                          // 404
  await x('POST', '/replication-groups/2/add-members', { body: { Members: ['/logical-elements/3'] } });
  await x('POST', '/replication-groups/2/remove-members', { body: { Members: ['/logical-elements/3'], DeleteOnEmptyElement: true } }); // 204
  for (const p of ['/capabilities', '/livez', '/readyz', '/metrics', '/openapi.yaml']) await x('GET', p);
}

checkExamples();
const server = await start();
try {
  await scenario(`http://127.0.0.1:${server.port}`);
} finally {
  server.child.kill('SIGTERM');
  rmSync(server.dir, { recursive: true, force: true });
}
console.log(`contract: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
