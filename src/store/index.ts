/** The embedded store: the database of a data directory, and the runs recorded in it. */
export { DATABASE_FILE, DataDirError, openDatabase, resolveDataDir, type Db } from './database.js';
export { MAX_PROBLEMS, RunStore, type FinishedRun, type RunDashboard, type RunRecord, type RunStatus, type StoredTweet, type TweetQuery } from './runs.js';
