/** KPI cards and charts of a finished run, all in French. */
import { useMemo } from 'react';
import type { ChartConfiguration } from 'chart.js';
import { integer, LABEL_TITLES, PHASE_NAMES, percent, valueName } from '../labels';
import { LABELS, type Dashboard as DashboardData, type LabelName, type Run } from '../types';
import { Chart, PALETTE } from './Chart';

function Card({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="kpi" data-testid={testId}>
      <span className={`value${value.length > 12 ? ' long' : ''}`}>{value}</span>
      <span className="label">{label}</span>
    </div>
  );
}

function bars(label: LabelName, data: DashboardData, horizontal = false): ChartConfiguration {
  const values = LABELS[label];
  return {
    type: 'bar',
    data: { labels: values.map(valueName), datasets: [{ label: 'tweets', data: values.map((value) => data.counts[label][value] ?? 0), backgroundColor: PALETTE[3] }] },
    options: { indexAxis: horizontal ? 'y' : 'x', plugins: { legend: { display: false } } },
  };
}

export function Dashboard({ run }: { run: Run }) {
  const data = run.dashboard as DashboardData;
  const charts = useMemo(() => {
    const sentiment: ChartConfiguration = {
      type: 'doughnut',
      data: { labels: LABELS.sentiment.map(valueName), datasets: [{ data: LABELS.sentiment.map((value) => data.counts.sentiment[value] ?? 0), backgroundColor: [PALETTE[0], PALETTE[1], PALETTE[2]] }] },
    };
    const topicBySentiment: ChartConfiguration = {
      type: 'bar',
      data: {
        labels: LABELS.topics.map(valueName),
        datasets: LABELS.sentiment.map((sentimentValue, i) => ({
          label: valueName(sentimentValue),
          data: LABELS.topics.map((topic) => data.topicBySentiment[topic]?.[sentimentValue] ?? 0),
          backgroundColor: PALETTE[i],
        })),
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true } } },
    };
    const days = Object.keys(data.perDay).sort();
    const perDay: ChartConfiguration = { type: 'line', data: { labels: days, datasets: [{ label: 'tweets par jour', data: days.map((day) => data.perDay[day] ?? 0), borderColor: PALETTE[3] }] }, options: { plugins: { legend: { display: false } } } };
    const perHour: ChartConfiguration = {
      type: 'bar',
      data: { labels: data.perHour.map((_, hour) => `${hour} h`), datasets: [{ label: 'tweets par heure (UTC)', data: data.perHour, backgroundColor: PALETTE[4] }] },
      options: { plugins: { legend: { display: false } } },
    };
    const phaseEntries = Object.entries(run.stats?.phaseMs ?? {}).filter(([, ms]) => ms > 0);
    const phases: ChartConfiguration = {
      type: 'bar',
      data: { labels: phaseEntries.map(([phase]) => PHASE_NAMES[phase] ?? phase), datasets: [{ label: 'ms', data: phaseEntries.map(([, ms]) => Math.round(ms)), backgroundColor: PALETTE[6] }] },
      options: { indexAxis: 'y', plugins: { legend: { display: false } } },
    };
    return { sentiment, topicBySentiment, perDay, perHour, phases, topics: bars('topics', data), urgence: bars('urgence', data), incident: bars('incident', data, true) };
  }, [data, run.stats]);

  const topIncident = Object.entries(data.counts.incident)
    .filter(([value]) => value !== 'information')
    .sort((a, b) => b[1] - a[1])[0];
  const hasDates = Object.keys(data.perDay).length > 0;
  return (
    <>
      <section className="kpis">
        <Card testId="kpi-tweets" label="Tweets" value={integer(data.rows)} />
        <Card testId="kpi-claims" label="Réclamations" value={percent(data.claims, data.rows)} />
        <Card testId="kpi-negative" label="Négatifs" value={percent(data.negative, data.rows)} />
        <Card testId="kpi-urgent" label="Urgence haute ou critique" value={percent(data.urgent, data.rows)} />
        <Card testId="kpi-incident" label="Incident le plus fréquent" value={topIncident === undefined ? '—' : `${valueName(topIncident[0])} (${integer(topIncident[1])})`} />
        <Card testId="kpi-confidence" label="Confiance moyenne" value={data.meanConfidence.toFixed(2).replace('.', ',')} />
        <Card testId="kpi-duplicates" label="Doublons" value={integer(data.duplicates)} />
      </section>
      <section className="charts">
        <Chart testId="chart-sentiment" title={LABEL_TITLES.sentiment} config={charts.sentiment} />
        <Chart testId="chart-topics" title="Sujets" config={charts.topics} />
        <Chart testId="chart-urgence" title={LABEL_TITLES.urgence} config={charts.urgence} />
        <Chart testId="chart-incident" title="Incidents" config={charts.incident} />
        <Chart testId="chart-topic-sentiment" title="Sujet × sentiment" config={charts.topicBySentiment} />
        {hasDates ? <Chart testId="chart-per-day" title="Volume par jour" config={charts.perDay} /> : null}
        {hasDates ? <Chart testId="chart-per-hour" title="Volume par heure de la journée (UTC)" config={charts.perHour} /> : null}
        <Chart testId="chart-phases" title="Temps par phase (ms)" config={charts.phases} />
      </section>
    </>
  );
}
