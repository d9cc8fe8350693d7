/** Upload: drag-and-drop or file picker, the text column (detected columns offered) and the mode. */
import { useState, type DragEvent } from 'react';
import { api } from '../api';
import { MODE_NAMES } from '../labels';

const TEXT_COLUMNS = ['text', 'full_text', 'tweet', 'texte', 'content', 'contenu', 'message', 'body', 'tweet_text'];
const ACCEPTED = ['.csv', '.tsv', '.txt', '.jsonl', '.ndjson', '.json'];

/** The columns of a CSV header or of the first JSON record, read from the file's first 64 KiB. */
async function detectColumns(file: File): Promise<string[]> {
  const head = await file.slice(0, 65536).text();
  const first = head.replace(/^\uFEFF/, '').trimStart();
  if (first.startsWith('{') || first.startsWith('[')) {
    const line = first.startsWith('[') ? first.slice(1).trimStart() : first;
    const end = line.indexOf('}');
    try {
      return Object.keys(JSON.parse(line.slice(0, end + 1)) as object);
    } catch {
      return [];
    }
  }
  const header = first.split(/\r?\n/)[0] ?? '';
  const delimiter = [',', ';', '\t', '|'].reduce((best, candidate) => (header.split(candidate).length > header.split(best).length ? candidate : best), ',');
  return header.split(delimiter).map((cell) => cell.trim().replace(/^"|"$/g, ''));
}

export function Upload({ onStarted, onError }: { onStarted: (id: number) => void; onError: (message: string) => void }) {
  const [file, setFile] = useState<File>();
  const [columns, setColumns] = useState<string[]>([]);
  const [textColumn, setTextColumn] = useState('');
  const [mode, setMode] = useState('fast');
  const [dragging, setDragging] = useState(false);
  const [sending, setSending] = useState(false);

  async function choose(chosen: File | undefined) {
    if (chosen === undefined) return;
    if (!ACCEPTED.some((extension) => chosen.name.toLowerCase().endsWith(extension))) {
      onError(`${chosen.name} : format non pris en charge (CSV, TSV, JSONL ou JSON)`);
      return;
    }
    setFile(chosen);
    const found = await detectColumns(chosen);
    setColumns(found);
    setTextColumn(found.find((column) => TEXT_COLUMNS.includes(column.toLowerCase())) ?? '');
  }

  async function start() {
    if (file === undefined) return;
    setSending(true);
    try {
      onStarted((await api.upload(file, mode, textColumn)).id);
    } catch (error) {
      onError((error as Error).message);
    } finally {
      setSending(false);
    }
  }

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    void choose(event.dataTransfer.files[0]);
  };

  return (
    <section className="card upload">
      <h2>Nouvelle analyse</h2>
      <label
        className={`dropzone${dragging ? ' dragging' : ''}`}
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <input type="file" accept={ACCEPTED.join(',')} data-testid="file-input" onChange={(event) => void choose(event.target.files?.[0])} />
        {file === undefined ? 'Déposez un export de tweets ici, ou cliquez pour choisir un fichier (CSV, JSONL, JSON)' : `${file.name} · ${(file.size / 1024).toFixed(0)} Ko`}
      </label>
      <div className="row">
        <label>
          Colonne du texte
          <select value={textColumn} onChange={(event) => setTextColumn(event.target.value)} data-testid="text-column">
            <option value="">détection automatique</option>
            {columns.map((column) => (
              <option key={column} value={column}>
                {column}
              </option>
            ))}
          </select>
        </label>
        <label>
          Mode
          <select value={mode} onChange={(event) => setMode(event.target.value)} data-testid="mode">
            {Object.entries(MODE_NAMES).map(([value, name]) => (
              <option key={value} value={value}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <button type="button" disabled={file === undefined || sending} onClick={() => void start()} data-testid="start">
          {sending ? 'Envoi…' : 'Lancer l’analyse'}
        </button>
      </div>
    </section>
  );
}
