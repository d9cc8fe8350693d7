/** The embedded store: the database of a data directory, the runs recorded in it, and its backups. */
export { backupDataDir, backupFileName, MODELS_DIRECTORY, newestBackupTime, pruneBackups, restoreDataDir, UPLOADS_DIRECTORY, type BackupResult } from './backup.js';
export { DATABASE_FILE, DataDirError, openDatabase, resolveDataDir, type Db } from './database.js';
export { CORRECTION_COLUMNS, correctionValues, correctedRecord, DATE_FIELDS, dateOf, labelsOf, MAX_PROBLEMS, RunStore, type Correction, type FinishedRun, type ResumableRun, type RunDashboard, type RunRecord, type RunStatus, type StoredTweet, type TweetQuery } from './runs.js';
export { COUNTED_COLUMNS, reviewProgress, reviewScoreSql, scopeCounts, type ReviewItem, type ReviewQueue, type ReviewScope, type ScopeCounts } from './review.js';
