/** A Chart.js chart in a canvas, rebuilt when its data changes. */
import { useEffect, useRef } from 'react';
import { Chart as ChartJs, registerables, type ChartConfiguration } from 'chart.js';

ChartJs.register(...registerables);
ChartJs.defaults.animation = false;
ChartJs.defaults.locale = 'fr-FR';

export const PALETTE = ['#c0392b', '#7f8c8d', '#27ae60', '#2980b9', '#8e44ad', '#d35400', '#16a085', '#f1c40f', '#2c3e50'];

export function Chart({ title, config, testId }: { title: string; config: ChartConfiguration; testId: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (canvas.current === null) return;
    const chart = new ChartJs(canvas.current, { ...config, options: { responsive: true, maintainAspectRatio: false, ...config.options } });
    return () => chart.destroy();
  }, [config]);
  return (
    <figure className="chart" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <div className="canvas">
        <canvas ref={canvas} />
      </div>
    </figure>
  );
}
