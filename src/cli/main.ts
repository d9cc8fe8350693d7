/** `fmc`: the command line of FreeMobilaChat. */
import { Command, Option } from 'commander';
import { GENERATED_KINDS } from '../bench/real-length.js';
import { ROLES } from '../auth/roles.js';
import { LLM_PROVIDERS } from '../config/providers.js';
import { MODES } from '../pipeline/modes.js';

// Commands load their modules when they run: `fmc classify` never pays for the server's libraries.
const accounts = () => import('./accounts.js');
const classify = () => import('./classify.js');
const store = () => import('./store.js');
const train = () => import('./train.js');

/** The LLM settings a command takes as flags (they win over the environment and the config file). */
function withLlmOptions(command: Command): Command {
  return command
    .option('--config <file>', 'settings file (default: ./fmc.config.json if present, or $FMC_CONFIG)')
    .addOption(new Option('--llm-provider <name>', 'ollama (/api/chat) or openai (any OpenAI-compatible /v1/chat/completions)').choices(LLM_PROVIDERS))
    .option('--llm-model <name>', 'model name (default: mistral)')
    .option('--llm-url <url>', 'server address (default: $OLLAMA_HOST or http://127.0.0.1:11434; openai: http://127.0.0.1:8080/v1)')
    .option('--llm-budget <share>', 'balanced: share of the unique tweets sent to the LLM (default 0.2, at least 100)')
    .option('--llm-batch-size <n>', 'tweets per request (default 20)')
    .option('--llm-concurrency <n>', 'requests at once (default 2)')
    .option('--llm-timeout <seconds>', 'per request (default 120)');
}

const program = new Command('fmc')
  .description('FreeMobilaChat: six KPIs for every customer tweet of an export')
  .showHelpAfterError();

withLlmOptions(program.command('classify'))
  .description('label every row of a CSV, JSONL or JSON export (use - for stdin)')
  .argument('<input>', 'input file (.csv, .jsonl, .json) or - for stdin')
  .option('-o, --out <file>', 'output file; format from its extension (.csv, .jsonl, .json); default JSONL on stdout')
  .option('--text-column <name>', 'column holding the tweet text (default: detected)')
  .option('--id-column <name>', 'column holding the tweet id (default: id, tweet_id, else the row number)')
  .addOption(new Option('--mode <mode>', 'fast: rules + model; balanced/precise add the LLM').choices(MODES).default('fast'))
  .option('--encoding <name>', 'input encoding (default: detected, UTF-8 or Windows-1252)')
  .option('--model <file>', 'a model trained by fmc train (default: the data directory\'s default model, else the shipped one)')
  .option('--data-dir <dir>', 'cache and run store directory (default: $FMC_DATA_DIR, else ./.fmc)')
  .option('--no-cache', 'classify every tweet again, without reading or writing the cache')
  .option('--store', 'also store the labelled rows in the run store (for `fmc runs show --rows` and the web app)')
  .option('-q, --quiet', 'no progress, no summary')
  .option('--database-url <url>', 'classify on the cluster: its PostgreSQL (default: $FMC_DATABASE_URL), with --redis-url')
  .option('--redis-url <url>', 'classify on the cluster: its Redis (default: $FMC_REDIS_URL), with --database-url')
  .action(async (input, options) => (await classify()).classifyCommand(input, options));

const db = program.command('db').description('the PostgreSQL database of the distributed mode');
db.command('migrate')
  .description('bring its schema up to date (serve and worker also do it when they start, under a lock)')
  .option('--database-url <url>', 'postgres://… (default: $FMC_DATABASE_URL)')
  .option('--config <file>', 'settings file (default: ./fmc.config.json if present, or $FMC_CONFIG)')
  .action(async (options) => (await import('./cluster.js')).dbMigrateCommand(options));

withLlmOptions(program.command('worker'))
  .description('classify chunks of the runs submitted to the cluster, and ask the LLM about the samples of balanced and precise runs; as many workers on as many machines as wanted')
  .option('--database-url <url>', 'the cluster\'s PostgreSQL (default: $FMC_DATABASE_URL)')
  .option('--redis-url <url>', 'the cluster\'s Redis (default: $FMC_REDIS_URL)')
  .option('--concurrency <n>', 'jobs in hand at once (classifying is CPU-bound: run one worker process per core)', '1')
  .option('--model <file>', 'a model trained by fmc train (default: the shipped model)')
  .option('--lock-seconds <n>', 'a chunk whose worker stops answering this long is given to another worker', '30')
  .option('--metrics-port <n>', 'serve Prometheus metrics (chunks, rows, queue depth and age) on this port')
  .option('--metrics-host <address>', 'address of the metrics port', '127.0.0.1')
  .action(async (options) => (await import('./cluster.js')).workerCommand(options));

const cache = program.command('cache').description('the label cache of a data directory');
cache
  .command('stats')
  .description('entries per classifier and size on disk')
  .option('--data-dir <dir>', 'data directory (default: $FMC_DATA_DIR, else ./.fmc)')
  .option('--json', 'one JSON object')
  .action(async (options) => (await store()).cacheStatsCommand(options));
cache
  .command('clear')
  .description('delete the cached labels (all, or those of one classifier)')
  .option('--data-dir <dir>', 'data directory (default: $FMC_DATA_DIR, else ./.fmc)')
  .option('--classifier <id>', 'only the entries of this classifier id (see `fmc cache stats`)')
  .action(async (options) => (await store()).cacheClearCommand(options));

const runs = program.command('runs').description('past runs recorded in a data directory');
runs
  .command('list')
  .description('the most recent runs, newest first')
  .option('--data-dir <dir>', 'data directory (default: $FMC_DATA_DIR, else ./.fmc)')
  .option('--limit <n>', 'how many', '20')
  .option('--json', 'JSON lines')
  .action(async (options) => (await store()).runsListCommand(options));
runs
  .command('show')
  .description('one run: input, mode, times, figures, problems; and its first stored rows')
  .argument('<id>', 'run id (see `fmc runs list`)')
  .option('--data-dir <dir>', 'data directory (default: $FMC_DATA_DIR, else ./.fmc)')
  .option('--rows <n>', 'also print this many stored rows (runs made with --store)', '0')
  .option('--json', 'one JSON object')
  .action(async (id, options) => (await store()).runsShowCommand(id, options));

/** Where accounts live: the data directory's database, or the cluster's PostgreSQL. */
const ACCOUNTS_DATA_DIR = new Option('--data-dir <dir>', 'data directory (default: $FMC_DATA_DIR, else ./.fmc)');
const ACCOUNTS_DATABASE_URL = new Option('--database-url <url>', "the cluster's PostgreSQL instead (default: $FMC_DATABASE_URL)");
const users = program.command('users').description('who may use the server, and with which role (viewer, analyst, admin)');
users
  .command('add')
  .description('add a user; the password, if any, is read from stdin')
  .argument('<name>', 'user name')
  .addOption(new Option('--role <role>', 'viewer reads; analyst also runs; admin also deletes and manages accounts').choices(ROLES).makeOptionMandatory())
  .option('--password-stdin', 'read the password (10+ characters) from stdin, for the sign-in form')
  .addOption(ACCOUNTS_DATA_DIR)
  .addOption(ACCOUNTS_DATABASE_URL)
  .action(async (name, options) => (await accounts()).usersAddCommand(name, options));
users
  .command('list')
  .description('the users, their roles and how they sign in')
  .addOption(ACCOUNTS_DATA_DIR)
  .addOption(ACCOUNTS_DATABASE_URL)
  .option('--json', 'JSON lines')
  .action(async (options) => (await accounts()).usersListCommand(options));
users
  .command('remove')
  .description('remove a user, with its keys and sessions')
  .argument('<name>', 'user name')
  .addOption(ACCOUNTS_DATA_DIR)
  .addOption(ACCOUNTS_DATABASE_URL)
  .action(async (name, options) => (await accounts()).usersRemoveCommand(name, options));
users
  .command('set-role')
  .description("change a user's role (its sessions carry the new role at once)")
  .argument('<name>', 'user name')
  .argument('<role>', ROLES.join(', '))
  .addOption(ACCOUNTS_DATA_DIR)
  .addOption(ACCOUNTS_DATABASE_URL)
  .action(async (name, role, options) => (await accounts()).usersSetRoleCommand(name, role, options));
users
  .command('sign-out')
  .description("end every sign-in session of a user (a lost laptop, a departure)")
  .argument('<name>', 'user name')
  .addOption(ACCOUNTS_DATA_DIR)
  .addOption(ACCOUNTS_DATABASE_URL)
  .action(async (name, options) => (await accounts()).usersSignOutCommand(name, options));

const keys = program.command('keys').description('API keys (Authorization: Bearer KEY), each acting as its user');
keys
  .command('create')
  .description('a new key for a user, printed once on the last line')
  .requiredOption('--user <name>', 'the user the key acts as')
  .option('--name <label>', 'what the key is for (e.g. crm-sync)')
  .addOption(ACCOUNTS_DATA_DIR)
  .addOption(ACCOUNTS_DATABASE_URL)
  .action(async (options) => (await accounts()).keysCreateCommand(options));
keys
  .command('list')
  .description('keys (never their secret), who they act as, when last used')
  .option('--user <name>', 'only the keys of this user')
  .addOption(ACCOUNTS_DATA_DIR)
  .addOption(ACCOUNTS_DATABASE_URL)
  .option('--json', 'JSON lines')
  .action(async (options) => (await accounts()).keysListCommand(options));
keys
  .command('revoke')
  .description('revoke a key: refused from the next request on')
  .argument('<id>', 'key id (see `fmc keys list`)')
  .addOption(ACCOUNTS_DATA_DIR)
  .addOption(ACCOUNTS_DATABASE_URL)
  .action(async (id, options) => (await accounts()).keysRevokeCommand(id, options));

program
  .command('feedback')
  .description('what people taught the model')
  .command('export')
  .description('the corrections as labelled JSONL for fmc train --extra (a text corrected several times: its latest labels)')
  .requiredOption('--out <file>', 'the JSONL file to write')
  .option('--since <when>', 'a date (2026-12-01) or an age (30m, 24h, 7d)')
  .addOption(ACCOUNTS_DATA_DIR)
  .addOption(ACCOUNTS_DATABASE_URL)
  .action(async (options) => (await import('./feedback.js')).feedbackExportCommand(options));

const models = program.command('models').description("the data directory's models: retrain with the corrections, promote one as the default behind a guard, roll back");
const MODELS_MARGIN = new Option('--margin <f1>', 'the largest drop of mean macro-F1 allowed on a judged set (a label may drop twice as much)').default('0.02');
const TRAINING_DATA = '--training-data <dir>';
models
  .command('list')
  .description('the registered models, the default marked')
  .option('--json', 'as JSON')
  .addOption(ACCOUNTS_DATA_DIR)
  .action(async (options) => (await import('./models.js')).modelsListCommand(options));
models
  .command('train')
  .description('train on the training data plus the corrections (one corrected text in five held out), register the model and compare it with the default on the held-out corrections and dev')
  .requiredOption(TRAINING_DATA, 'a directory with train.jsonl, and paraphrases.jsonl, synthetic.jsonl and dev.jsonl when there are')
  .option('--promote', 'make it the default if the guard allows it')
  .addOption(MODELS_MARGIN)
  .addOption(ACCOUNTS_DATA_DIR)
  .addOption(ACCOUNTS_DATABASE_URL)
  .action(async (options) => (await import('./models.js')).modelsTrainCommand(options));
models
  .command('promote')
  .description('make a registered model the default, if it does not regress beyond the margin on the held-out corrections (and dev)')
  .argument('<id>', 'a model id (fmc models list)')
  .option(TRAINING_DATA, 'judge on its dev.jsonl too')
  .option('--force', 'promote even if the guard refuses (recorded in the audit log)')
  .addOption(MODELS_MARGIN)
  .addOption(ACCOUNTS_DATA_DIR)
  .addOption(ACCOUNTS_DATABASE_URL)
  .action(async (id, options) => (await import('./models.js')).modelsPromoteCommand(id, options));
models
  .command('rollback')
  .description('the default before the last promotion becomes the default again (the shipped model after the first)')
  .addOption(ACCOUNTS_DATA_DIR)
  .addOption(ACCOUNTS_DATABASE_URL)
  .action(async (options) => (await import('./models.js')).modelsRollbackCommand(options));

program
  .command('explain')
  .description('why the model labels a tweet so: per label, the words, word pairs, rules and signals that pushed the chosen value most')
  .argument('<text>', 'the tweet')
  .option('--author <name>', 'the account that wrote it (the operator\'s own posts are read differently)')
  .option('--model <file>', 'a model trained by fmc train (default: the data directory\'s default model, else the shipped one)')
  .option('--data-dir <dir>', 'the data directory whose default model explains (default: $FMC_DATA_DIR, else ./.fmc)')
  .option('--top <n>', 'features shown per label', '6')
  .option('--json', 'every figure, as JSON')
  .action(async (text, options) => (await import('./explain.js')).explainCommand(text, options));

program
  .command('incidents')
  .description('the outage radar: bursts of outage tweets by department and time in an export (it needs a date column)')
  .argument('<input>', 'input file (.csv, .jsonl, .json) or - for stdin')
  .option('--window <duration>', 'sliding window (moved by a quarter)', '1h')
  .option('--alpha <p>', 'a window is flagged below this probability (default 1e-6)')
  .option('--min-count <n>', 'and with at least this many outage tweets (default 5)')
  .option('--json', 'the whole report as JSON: incidents, the national timeline, counts per department')
  .option('--text-column <name>', 'column holding the tweet text (default: detected)')
  .option('--id-column <name>', 'column holding the tweet id')
  .option('--encoding <name>', 'input encoding (default: detected)')
  .action(async (input, options) => (await import('./incidents.js')).incidentsCommand(input, options));

program
  .command('audit')
  .description('the audit log: sign-ins and failures, uploads, exports, deletions, user and key changes')
  .option('--since <when>', 'a date (2026-12-01) or an age (30m, 24h, 7d)')
  .addOption(ACCOUNTS_DATA_DIR)
  .addOption(ACCOUNTS_DATABASE_URL)
  .option('--json', 'JSON lines')
  .action(async (options) => (await accounts()).auditCommand(options));

program
  .command('train')
  .description('train the embedded model on labelled exports; writes NAME.fmcmodel and its model card NAME.md')
  .requiredOption('--train <file>', 'real labelled tweets (JSONL or CSV with the five label columns): trained and cross-validated on')
  .option('--paraphrases <file>', 'rewordings of training tweets (source_id names the source): trained on, only where the source is')
  .option('--written <file>', 'tweets written for training: in every training fold, never validated on')
  .option('--paraphrase-weight <w>', 'weight of a paraphrase in the loss, against 1 for a real tweet; per label with 1,is_claim=0.5 (default 1)')
  .option('--written-weight <w>', 'weight of a written tweet, as --paraphrase-weight (default 1)')
  .option('--extra <file>', 'tweets labelled by people (fmc feedback export): trained on like written tweets; repeat for several files', (file: string, files: string[]) => [...files, file], [])
  .option('--extra-weight <w>', 'weight of an extra tweet, as --paraphrase-weight (default 1)')
  .option('--dev <file>', 'real labelled tweets to report on in the model card')
  .option('--include-dev', 'once dev is reported, train the shipped weights on train + dev')
  .requiredOption('--out <path>', 'models/NAME: where to write NAME.fmcmodel and NAME.md')
  .option('--seed <n>', 'seed of the shuffles and folds (default 42)')
  .action(async (options) => (await train()).trainCommand(options));

program
  .command('evaluate')
  .description('score a model against labelled tweets: macro-F1, accuracy, per-class figures, confusion, ECE')
  .requiredOption('--data <file>', 'labelled tweets (JSONL or CSV)')
  .option('--model <file>', 'model file (default: the shipped model)')
  .option('--json', 'one JSON object instead of tables')
  .action(async (options) => (await train()).evaluateCommand(options));

withLlmOptions(program.command('llm').description('the LLM server').command('check'))
  .description('whether the server answers, which models it has, and the time of one small structured request')
  .action(async (options) => (await import('./llm.js')).llmCheckCommand(options));

withLlmOptions(program.command('serve'))
  .description('the HTTP API (documented at /docs) and the web app')
  .option('--port <n>', 'port (default: $FMC_PORT, else 3000)', process.env.FMC_PORT || '3000')
  .option('--host <address>', 'address to listen on', '127.0.0.1')
  .option('--data-dir <dir>', 'cache and run store directory (default: $FMC_DATA_DIR, else ./.fmc)')
  .option('--model <file>', 'a model trained by fmc train (default: the data directory\'s default model, else the shipped one)')
  .option('--token <token>', 'a shared admin key, sent as Authorization: Bearer TOKEN (default: $FMC_API_TOKEN); prefer users and keys')
  .option('--metrics-key <key>', '/metrics needs Authorization: Bearer KEY (default: $FMC_METRICS_KEY; none: open)')
  .option('--alert-webhook <url>', 'the outage radar posts incidents that open and close here, Slack-compatible JSON (default: $FMC_ALERT_WEBHOOK)')
  .option('--training-data <dir>', 'labelled data admins may retrain from, with the corrections (train.jsonl, and paraphrases.jsonl, synthetic.jsonl, dev.jsonl when there are; default: $FMC_TRAINING_DATA)')
  .option('--session-hours <n>', 'how long a sign-in lasts', '12')
  .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM), with --tls-key; HSTS on')
  .option('--tls-key <file>', 'the private key (PEM) of --tls-cert')
  .option('--trust-proxy', 'behind a reverse proxy: client address and protocol from X-Forwarded-For/-Proto')
  .option('--oidc-issuer <url>', 'single sign-on: the OpenID Connect provider (client secret in $FMC_OIDC_CLIENT_SECRET)')
  .option('--oidc-client-id <id>', 'single sign-on: this server\'s client id at the provider')
  .option('--oidc-redirect-url <url>', 'single sign-on: the callback registered at the provider (default: <this server>/auth/oidc/callback)')
  .option('--oidc-role-claim <claim>', 'single sign-on: the ID token claim naming the role (a string or a list)', 'fmc_role')
  .addOption(new Option('--oidc-default-role <role>', 'single sign-on: role of a user whose claim names none (default: refused)').choices(ROLES))
  .option('--threads <n>', 'uploads classified at once; more are queued', '1')
  .option('--max-upload-mb <n>', 'largest upload', '32')
  .option('--rate-limit <n>', 'requests a minute per client on /api (uploads and sign-in attempts: a tenth)', '100')
  .option('--shutdown-grace <seconds>', 'on SIGTERM, how long running runs get to end; the rest resume at the next start', '30')
  .option('--backup-dir <dir>', 'write a backup a day into this directory')
  .option('--backup-keep <n>', 'backups kept in --backup-dir', '30')
  .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent', 'info')
  .option('--log-file <file>', 'JSON logs to this file, rotated daily, 30 days kept (default: standard output, pretty on a terminal)')
  .action(async (options) => (await import('./serve.js')).serveCommand(options));

program
  .command('backup')
  .description('copy a data directory (runs, rows, cache, users, keys, kept inputs) to one .tar.gz, safely while the server runs')
  .requiredOption('--out <file>', 'the backup file to write (.tar.gz)')
  .option('--data-dir <dir>', 'data directory (default: $FMC_DATA_DIR, else ./.fmc)')
  .action(async (options) => (await import('./backup.js')).backupCommand(options));

program
  .command('restore')
  .description('unpack a backup into an empty data directory')
  .argument('<file>', 'a file written by fmc backup')
  .requiredOption('--data-dir <dir>', 'the directory to restore into')
  .option('--force', 'replace the data of a directory that is not empty')
  .action(async (file, options) => (await import('./backup.js')).restoreCommand(file, options));

program
  .command('bench')
  .description('time each mode cold and warm on short and real-length inputs, measure in-process throughput, write a markdown report')
  .option('--input <file>', 'input to run on as it is, or to generate from with --rows (default: the demo file, made into 2,634 rows)')
  .option('--rows <n>', 'generate inputs of this many rows from the input')
  .addOption(new Option('--inputs <kinds...>', 'generated inputs: short (rows cycled) and real-length (composed to real tweets\' lengths)').choices(GENERATED_KINDS).default([...GENERATED_KINDS]))
  .addOption(new Option('--modes <modes...>', 'modes to run').choices(MODES).default(['fast', 'balanced']))
  .option('--report <file>', 'markdown report; an existing one is compared with', 'benchmark_report.md')
  .option('--distributed', 'instead: classify a real-length input (--rows, default 1,000,000) on the cluster with 1, then 2 worker processes, and time the queue alone; prints a markdown table')
  .option('--workers <counts>', 'with --distributed: worker processes per measurement, comma-separated', '1,2')
  .option('--database-url <url>', 'with --distributed: a PostgreSQL server where the bench may create and drop databases (default: $FMC_DATABASE_URL)')
  .option('--redis-url <url>', 'with --distributed: the Redis (default: $FMC_REDIS_URL)')
  .action(async (options) => (await import('./bench.js')).benchCommand(options));

/** Exit code 2 for what the user asked wrong; 1 for what could not be done. By name: the classes live in modules loaded lazily. */
const USAGE_ERRORS = new Set(['UsageError', 'ConfigError', 'DataDirError', 'UnsupportedModeError', 'ZodError', 'StartRefusedError', 'RegistryError']);

function exitCodeOf(error: unknown): number {
  return error instanceof Error && USAGE_ERRORS.has(error.name) ? 2 : 1;
}

try {
  await program.parseAsync();
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`fmc: error: ${message}\n`);
  if (process.env.FMC_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  process.exitCode = exitCodeOf(error);
}
