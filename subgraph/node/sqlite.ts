/** The query node's store database: the project's shared node:sqlite layer. */
export { SqliteDatabase, type Statement } from "../../scripts/lib/sqlite.js";
