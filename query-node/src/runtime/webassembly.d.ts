/**
 * The part of the WebAssembly JavaScript API the mapping runtime uses. Node has it as a global;
 * TypeScript declares it only with the DOM or web-worker libraries, which a Node project leaves out.
 */
declare namespace WebAssembly {
  type ImportValue = Function | Global | Memory | Table | number;
  type ModuleImports = Record<string, ImportValue>;
  type Imports = Record<string, ModuleImports>;
  type Exports = Record<string, Function | Global | Memory | Table>;
  type BufferSource = ArrayBufferView | ArrayBuffer;

  interface ModuleImportDescriptor {
    kind: "function" | "global" | "memory" | "table";
    module: string;
    name: string;
  }

  interface ModuleExportDescriptor {
    kind: "function" | "global" | "memory" | "table";
    name: string;
  }

  class Module {
    constructor(bytes: BufferSource);
    static imports(module: Module): ModuleImportDescriptor[];
    static exports(module: Module): ModuleExportDescriptor[];
  }

  class Instance {
    constructor(module: Module, imports?: Imports);
    readonly exports: Exports;
  }

  class Memory {
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }

  class Table {
    readonly length: number;
    get(index: number): Function | null;
  }

  class Global {
    value: unknown;
  }

  function compile(bytes: BufferSource): Promise<Module>;
  function instantiate(module: Module, imports?: Imports): Promise<Instance>;
}
