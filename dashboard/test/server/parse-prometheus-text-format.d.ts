/** The parser's own shape (the package ships no types): one entry per metric family. */
declare module 'parse-prometheus-text-format' {
  interface PrometheusFamily {
    name: string;
    help: string;
    type: 'COUNTER' | 'GAUGE' | 'SUMMARY' | 'HISTOGRAM' | 'UNTYPED';
    metrics: { value: string; labels?: Record<string, string> }[];
  }
  export default function parsePrometheusTextFormat(text: string): PrometheusFamily[];
}
