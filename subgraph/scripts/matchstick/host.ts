/**
 * The matchstick host functions (test registration, hooks, the test store and assertions) on top of
 * the graph-ts host functions of the embedded query node.
 */
import { AscMemory } from "../../../query-node/src/runtime/asc-memory.js";
import { graphHostFunctions, linkImports, MappingError, type HostStore } from "../../../query-node/src/runtime/host-functions.js";
import { bytesToHex, idKey, valueToString, type EntityData } from "../../../query-node/src/runtime/values.js";

export interface TestCase {
  kind: "test";
  name: string;
  shouldFail: boolean;
  fn: number;
}

export interface TestGroup {
  kind: "group";
  name: string;
  children: Array<TestCase | TestGroup>;
  hooks: { beforeAll: number[]; afterAll: number[]; beforeEach: number[]; afterEach: number[] };
}

/** The in-memory store of a test file, as matchstick keeps it. */
export class TestStore implements HostStore {
  readonly entities = new Map<string, Map<string, EntityData>>();
  readonly inBlock = new Map<string, Map<string, EntityData>>();

  private table(map: Map<string, Map<string, EntityData>>, type: string): Map<string, EntityData> {
    let t = map.get(type);
    if (!t) map.set(type, (t = new Map()));
    return t;
  }

  get(type: string, id: string): EntityData | null {
    return this.entities.get(type)?.get(id) ?? null;
  }

  getInBlock(type: string, id: string): EntityData | null {
    return this.inBlock.get(type)?.get(id) ?? null;
  }

  set(type: string, id: string, data: EntityData): void {
    const idValue = data.get("id");
    if (idValue && idKey(idValue) !== id) {
      throw new MappingError(`entity ${type}: id '${id}' differs from its id field '${idKey(idValue)}'`);
    }
    this.table(this.entities, type).set(id, data);
    this.table(this.inBlock, type).set(id, data);
  }

  remove(type: string, id: string): void {
    this.entities.get(type)?.delete(id);
    this.inBlock.get(type)?.delete(id);
  }

  clear(): void {
    this.entities.clear();
    this.inBlock.clear();
  }
}

export interface TestModule {
  root: TestGroup;
  call(fn: number): void;
  failures: string[];
  logs: string[];
}

function newGroup(name: string): TestGroup {
  return { kind: "group", name, children: [], hooks: { beforeAll: [], afterAll: [], beforeEach: [], afterEach: [] } };
}

/** Instantiates a compiled test file and registers its tests (runs its top level). */
export async function loadTestModule(wasm: Uint8Array): Promise<TestModule> {
  const module = await WebAssembly.compile(wasm);
  const store = new TestStore();
  const root = newGroup("");
  const stack: TestGroup[] = [root];
  const failures: string[] = [];
  const logs: string[] = [];
  let memory: AscMemory | null = null;
  let table: WebAssembly.Table | null = null;
  const m = () => memory!;
  const call = (fn: number) => (table!.get(fn) as () => void)();
  const current = () => stack[stack.length - 1]!;

  const fieldEquals = (type: string, id: string, field: string, expected: string, message?: string) => {
    const entity = store.get(type, id);
    if (entity === null) {
      failures.push(message ?? `${type} '${id}' is not in the store`);
      return 0;
    }
    const value = entity.get(field);
    const actual = value === undefined ? "null" : valueToString(value);
    if (actual !== expected) {
      failures.push(message ?? `${type}[${id}].${field}: expected '${expected}', got '${actual}'`);
      return 0;
    }
    return 1;
  };
  const notInStore = (type: string, id: string, message?: string) => {
    if (store.get(type, id) !== null) {
      failures.push(message ?? `${type} '${id}' is in the store`);
      return 0;
    }
    return 1;
  };
  const ethValue = (ptr: number): unknown => {
    const kind = m().i32(ptr);
    const data = m().u32(ptr + 8);
    if (kind <= 2) return bytesToHex(m().bytes(data));
    if (kind <= 4) return m().bigInt(data).toString();
    if (kind === 5) return data !== 0;
    if (kind === 6) return m().string(data);
    return m().arrayU32(data).map(ethValue);
  };
  const equals = (expected: number, actual: number, message?: string) => {
    const e = JSON.stringify(ethValue(expected));
    const a = JSON.stringify(ethValue(actual));
    if (e !== a) {
      failures.push(message ?? `expected ${e}, got ${a}`);
      return 0;
    }
    return 1;
  };

  const functions = {
    ...graphHostFunctions({
      memory: m,
      store,
      log: (level, message) => logs.push(`[${level}] ${message}`),
    }),
    _registerTest(namePtr: number, shouldFail: number, fn: number) {
      current().children.push({ kind: "test", name: m().string(namePtr), shouldFail: shouldFail !== 0, fn });
    },
    _registerDescribe(namePtr: number, fn: number) {
      const group = newGroup(m().string(namePtr));
      current().children.push(group);
      stack.push(group);
      try {
        call(fn);
      } finally {
        stack.pop();
      }
    },
    _registerHook(fn: number, typePtr: number) {
      const type = m().string(typePtr) as keyof TestGroup["hooks"];
      current().hooks[type].push(fn);
    },
    clearStore: () => store.clear(),
    clearInBlockStore: () => store.inBlock.clear(),
    logStore: () => {
      for (const [type, rows] of store.entities) for (const [id] of rows) logs.push(`${type} ${id}`);
    },
    logEntity: () => {},
    logDataSources: () => {},
    countEntities: (typePtr: number) => store.entities.get(m().string(typePtr))?.size ?? 0,
    mockInBlockStore: (typePtr: number, idPtr: number, dataPtr: number) => {
      const type = m().string(typePtr);
      const id = m().string(idPtr);
      let t = store.inBlock.get(type);
      if (!t) store.inBlock.set(type, (t = new Map()));
      t.set(id, m().entity(dataPtr));
    },
    "_assert.fieldEquals": (t: number, i: number, f: number, e: number) =>
      fieldEquals(m().string(t), m().string(i), m().string(f), m().string(e)),
    "_assert.fieldEqualsWithMessage": (t: number, i: number, f: number, e: number, msg: number) =>
      fieldEquals(m().string(t), m().string(i), m().string(f), m().string(e), m().string(msg)),
    "_assert.notInStore": (t: number, i: number) => notInStore(m().string(t), m().string(i)),
    "_assert.notInStoreWithMessage": (t: number, i: number, msg: number) =>
      notInStore(m().string(t), m().string(i), m().string(msg)),
    "_assert.equals": (e: number, a: number) => equals(e, a),
    "_assert.equalsWithMessage": (e: number, a: number, msg: number) => equals(e, a, m().string(msg)),
    "_assert.dataSourceCount": () => 1,
    "_assert.dataSourceCountWithMessage": () => 1,
    "_assert.dataSourceExists": () => 1,
    "_assert.dataSourceExistsWithMessage": () => 1,
  };

  const instance = await WebAssembly.instantiate(module, linkImports(module, functions as never));
  const exports = instance.exports as unknown as {
    memory: WebAssembly.Memory;
    table: WebAssembly.Table;
    __new(size: number, id: number): number;
    id_of_type(typeId: number): number;
    _start(): void;
  };
  memory = new AscMemory(exports);
  table = exports.table;
  exports._start();
  return { root, call, failures, logs };
}
