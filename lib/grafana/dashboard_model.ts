/**
 * The dashboard as code, with Grafana's own typed builders (`@grafana/grafana-foundation-sdk`, the
 * SDK Grafana generates from its schemas with cog): one stat row, the up/down timeline, the scoreboard
 * per host, then workers, traffic, response time, CPU and uptime. Every query reads the `datasource`
 * variable (this deployment's data sources) and the `host` variable (instances, multi-select).
 *
 * The SDK expresses all of it; the few fields it writes differently from the hand-kept JSON this
 * replaced (its defaults, all Grafana's own) are listed and explained in tests/unit/dashboard_sdk_test.ts.
 */
import * as common from "@grafana/grafana-foundation-sdk/common";
import {
  AnnotationQueryBuilder,
  DashboardBuilder,
  DashboardCursorSync,
  type DataSourceRef,
  DatasourceVariableBuilder,
  type DynamicConfigValue,
  FieldColorBuilder,
  FieldColorModeId,
  MappingType,
  QueryVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  type ValueMapping,
  VariableHide,
  VariableRefresh,
  VariableSort,
} from "@grafana/grafana-foundation-sdk/dashboard";
import type { Dashboard as SdkDashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder, QueryEditorMode } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as StatPanel } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TimelinePanel } from "@grafana/grafana-foundation-sdk/statetimeline";
import { PanelBuilder as TimeseriesPanel } from "@grafana/grafana-foundation-sdk/timeseries";

/** Every panel and query reads the data source chosen in the `datasource` variable. */
const DS: DataSourceRef = { type: "prometheus", uid: "${datasource}" };

/** The host selector of every query: the `host` variable (multi-select, so a regex match). */
const H = `instance=~"$host"`;

/** Apache reads a scoreboard: 1 when mod_status gives one, 0 when the exporter or Apache does not. */
const SCOREBOARD_UP = `(count by (instance) (apache_scoreboard{${H}}) > bool 0)` +
  ` or on (instance) (apache_up{${H}} * 0) or on (instance) (up{job="apache", ${H}} * 0)`;

/** Share of started workers that are busy (WorkersSaturated's expression, per selected host). */
const BUSY_SHARE = `sum by (instance) (apache_workers{${H}, state="busy"})` +
  ` / sum by (instance) (apache_workers{${H}, state=~"busy|idle"})`;

/** Requests per second. */
const REQUESTS = `sum by (instance) (rate(apache_accesses_total{${H}}[$__rate_interval]))`;

/** The scoreboard's states (apache_exporter's `state` label), their mod_status letter and colour. */
const SCOREBOARD_COLOURS: [state: string, name: string, colour: string][] = [
  ["open_slot", "Open slot (.)", "#8e8e8e"],
  ["idle", "Waiting for connection (_)", "#73bf69"],
  ["startup", "Starting up (S)", "#b877d9"],
  ["read", "Reading request (R)", "#5794f2"],
  ["reply", "Sending reply (W)", "#ff9830"],
  ["keepalive", "Keepalive (K)", "#fade2a"],
  ["dns", "DNS lookup (D)", "#8f3bb8"],
  ["closing", "Closing connection (C)", "#f2495c"],
  ["logging", "Logging (L)", "#37872d"],
  ["graceful_stop", "Gracefully finishing (G)", "#c4162a"],
  ["idle_cleanup", "Idle cleanup (I)", "#96d98d"],
];

/** One PromQL query on the dashboard's data source. */
function query(refId: string, expr: string, legend: string, instant = false): DataqueryBuilder {
  const q = new DataqueryBuilder().datasource(DS).editorMode(QueryEditorMode.Code).expr(expr)
    .legendFormat(legend).refId(refId);
  return instant ? q.instant() : q.range();
}

/** `0` shows Down in red, `1` Up in green. */
const UP_DOWN: ValueMapping[] = [{
  type: MappingType.ValueToText,
  options: {
    "0": { text: "Down", color: "red", index: 0 },
    "1": { text: "Up", color: "green", index: 1 },
  },
}];

/** Absolute thresholds: the first colour from -∞ (`null`), then each colour from its value. */
function thresholds(first: string, ...steps: [number, string][]): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
    { color: first, value: null },
    ...steps.map(([value, color]) => ({ color, value })),
  ]);
}

/** A colour scheme of one mode (and a fixed colour). */
function colour(mode: FieldColorModeId, fixedColor?: string): FieldColorBuilder {
  const c = new FieldColorBuilder().mode(mode);
  return fixedColor ? c.fixedColor(fixedColor) : c;
}

/** The last value, as the stat panels show it. */
const LAST = new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).fields("").values(false);

/** A stat panel of the top row. */
function stat(id: number, title: string, description: string, x: number, w: number): StatPanel {
  return new StatPanel().id(id).title(title).description(description).datasource(DS)
    .gridPos({ x, y: 0, w, h: 4 })
    .justifyMode(common.BigValueJustifyMode.Auto).orientation(common.VizOrientation.Auto)
    .reduceOptions(LAST);
}

/** A time series panel: lines, palette colours, list legend, tooltip of every series. */
function graph(
  id: number,
  title: string,
  description: string,
  pos: { x: number; y: number; w: number; h: number },
  unit: string,
  fillOpacity = 10,
): TimeseriesPanel {
  return new TimeseriesPanel().id(id).title(title).description(description).datasource(DS).gridPos(pos)
    .unit(unit).min(0).colorScheme(colour(FieldColorModeId.PaletteClassic))
    .drawStyle(common.GraphDrawStyle.Line).lineWidth(1).fillOpacity(fillOpacity)
    .showPoints(common.VisibilityMode.Never).spanNulls(false).axisPlacement(common.AxisPlacement.Auto)
    .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.None).group("A"))
    .legend(
      new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom).showLegend(true).calcs([]),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi)
        .sort(common.SortOrder.Descending),
    );
}

/** A field override's properties: the display name and a fixed colour. */
function named(name: string, fixedColor: string): DynamicConfigValue[] {
  return [
    { id: "displayName", value: name },
    { id: "color", value: { mode: "fixed", fixedColor } },
  ];
}

/** The dashboard with `uid` (also its title), listing the data sources whose names match `datasourceRegex`. */
export function buildDashboardModel(uid: string, datasourceRegex: string): SdkDashboard {
  const b = new DashboardBuilder(uid).uid(uid)
    .description(
      "Apache mod_status scoreboard of the IS-Academia web servers (managed by isa-monitoring: edits here are overwritten).",
    )
    .tags(["isa-monitoring", "apache"]).editable().tooltip(DashboardCursorSync.Crosshair)
    .timezone("browser").refresh("30s").time({ from: "now-6h", to: "now" })
    .fiscalYearStartMonth(0).liveNow(false).links([])
    .annotation(
      new AnnotationQueryBuilder().builtIn(1).datasource({ type: "grafana", uid: "-- Grafana --" })
        .enable(true).hide(true).iconColor("rgba(0, 211, 255, 1)").name("Annotations & Alerts")
        .type("dashboard"),
    )
    .withVariable(
      new DatasourceVariableBuilder("datasource").label("Prometheus").type("prometheus")
        .regex(datasourceRegex).hide(VariableHide.DontHide).includeAll(false).multi(false),
    )
    .withVariable(
      new QueryVariableBuilder("host").label("Host").datasource(DS)
        .definition("label_values(apache_up, instance)")
        .query({
          qryType: 1,
          query: "label_values(apache_up, instance)",
          refId: "PrometheusVariableQueryEditor-VariableQuery",
        })
        .hide(VariableHide.DontHide).includeAll(true).multi(true)
        .refresh(VariableRefresh.OnTimeRangeChanged).regex("").sort(VariableSort.AlphabeticalAsc),
    )
    // The top row: stat panels.
    .withPanel(
      stat(
        1,
        "Apache",
        "Up when the exporter reads a scoreboard from mod_status. A 403 or an unreachable Apache shows Down even when the exporter itself is up.",
        0,
        6,
      ).withTarget(query("A", SCOREBOARD_UP, "{{instance}}", true))
        .mappings(UP_DOWN).colorScheme(colour(FieldColorModeId.Thresholds))
        .thresholds(thresholds("red", [1, "green"]))
        .colorMode(common.BigValueColorMode.Background).graphMode(common.BigValueGraphMode.None)
        .textMode(common.BigValueTextMode.ValueAndName),
    )
    .withPanel(
      stat(2, "Requests / s", "Requests served per second (rate of Total Accesses).", 6, 4)
        .withTarget(query("A", REQUESTS, "{{instance}}"))
        .unit("reqps").decimals(1).colorScheme(colour(FieldColorModeId.Fixed, "blue"))
        .colorMode(common.BigValueColorMode.Value).graphMode(common.BigValueGraphMode.Area)
        .textMode(common.BigValueTextMode.Auto),
    )
    .withPanel(
      stat(
        3,
        "Busy workers",
        "Share of started workers that are busy. Above 80% for 5 minutes raises WorkersSaturated.",
        10,
        4,
      ).withTarget(query("A", BUSY_SHARE, "{{instance}}"))
        .unit("percentunit").min(0).max(1).decimals(0).colorScheme(colour(FieldColorModeId.Thresholds))
        .thresholds(thresholds("green", [0.6, "orange"], [0.8, "red"]))
        .colorMode(common.BigValueColorMode.Value).graphMode(common.BigValueGraphMode.Area)
        .textMode(common.BigValueTextMode.Auto),
    )
    .withPanel(
      stat(4, "Uptime", "Time since Apache's last (graceful) restart.", 14, 5)
        .withTarget(query("A", `apache_uptime_seconds_total{${H}}`, "{{instance}}"))
        .unit("s").decimals(0).colorScheme(colour(FieldColorModeId.Thresholds))
        .thresholds(thresholds("orange", [3600, "green"]))
        .colorMode(common.BigValueColorMode.Value).graphMode(common.BigValueGraphMode.None)
        .textMode(common.BigValueTextMode.Auto),
    )
    .withPanel(
      stat(
        5,
        "Restarts in range",
        "Apache restarts (uptime going down) over the dashboard's time range.",
        19,
        5,
      )
        .withTarget(query("A", `resets(apache_uptime_seconds_total{${H}}[$__range])`, "{{instance}}", true))
        .unit("none").decimals(0).colorScheme(colour(FieldColorModeId.Thresholds))
        .thresholds(thresholds("green", [1, "orange"]))
        .colorMode(common.BigValueColorMode.Value).graphMode(common.BigValueGraphMode.None)
        .textMode(common.BigValueTextMode.ValueAndName),
    )
    .withPanel(
      new TimelinePanel().id(6).title("Up / down")
        .description(
          "Exporter target: Prometheus reaches apache_exporter. apache_up: the exporter reaches Apache. Scoreboard: mod_status answers with a scoreboard.",
        )
        .datasource(DS).gridPos({ x: 0, y: 4, w: 24, h: 6 })
        .withTarget(query("A", `up{job="apache", ${H}}`, "{{instance}} exporter target"))
        .withTarget(query("B", `apache_up{${H}}`, "{{instance}} apache_up"))
        .withTarget(query("C", SCOREBOARD_UP, "{{instance}} scoreboard"))
        .mappings(UP_DOWN).colorScheme(colour(FieldColorModeId.Thresholds))
        .thresholds(thresholds("red", [1, "green"])).fillOpacity(80).lineWidth(0)
        .showValue(common.VisibilityMode.Never).rowHeight(0.8).mergeValues(true)
        .alignValue(common.TimelineValueAlignment.Left)
        .legend(
          new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.List)
            .placement(common.LegendPlacement.Bottom).showLegend(false),
        )
        .tooltip(
          new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Single)
            .sort(common.SortOrder.None),
        ),
    )
    .withPanel(
      SCOREBOARD_COLOURS.reduce(
        (p, [state, name, c]) => p.overrideByName(state, named(name, c)),
        graph(
          7,
          "Scoreboard — $host",
          "Worker slots by state (mod_status scoreboard), stacked: the total is the number of scoreboard slots.",
          { x: 0, y: 10, w: 24, h: 9 },
          "short",
          70,
        ).withTarget(query("A", `apache_scoreboard{${H}}`, "{{state}}")).decimals(0)
          .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal).group("A"))
          .legend(
            new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.Table)
              .placement(common.LegendPlacement.Right).showLegend(true).calcs(["lastNotNull", "max"]),
          )
          .tooltip(
            new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi)
              .sort(common.SortOrder.None),
          )
          .repeat("host").repeatDirection("h").maxPerRow(2),
      ),
    )
    .withPanel(
      graph(
        8,
        "Workers: busy vs idle",
        "Started workers (BusyWorkers and IdleWorkers).",
        {
          x: 0,
          y: 19,
          w: 12,
          h: 8,
        },
        "short",
        30,
      )
        .withTarget(query("A", `apache_workers{${H}, state=~"busy|idle"}`, "{{instance}} {{state}}"))
        .decimals(0).stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal).group("A")),
    )
    .withPanel(
      graph(
        9,
        "Busy share",
        "BusyWorkers / (BusyWorkers + IdleWorkers). The red line is the WorkersSaturated threshold.",
        { x: 12, y: 19, w: 12, h: 8 },
        "percentunit",
      ).withTarget(query("A", BUSY_SHARE, "{{instance}}")).max(1)
        .thresholds(thresholds("transparent", [0.8, "red"]))
        .thresholdsStyle(
          new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.LineAndArea),
        ),
    )
    .withPanel(
      graph(10, "Requests per second", "rate(Total Accesses).", { x: 0, y: 27, w: 12, h: 8 }, "reqps")
        .withTarget(query("A", REQUESTS, "{{instance}}")),
    )
    .withPanel(
      graph(
        11,
        "Traffic sent",
        "rate(Total kBytes) in bytes per second; Apache's kBytes are 1024 bytes.",
        { x: 12, y: 27, w: 12, h: 8 },
        "binBps",
      ).withTarget(
        query(
          "A",
          `sum by (instance) (rate(apache_sent_kilobytes_total{${H}}[$__rate_interval])) * 1024`,
          "{{instance}}",
        ),
      ),
    )
    .withPanel(
      graph(
        12,
        "Mean response time",
        "Total Duration / Total Accesses over the interval (needs ExtendedStatus On). Empty when no request was served.",
        { x: 0, y: 35, w: 12, h: 8 },
        "ms",
      ).withTarget(
        query(
          "A",
          `sum by (instance) (rate(apache_duration_ms_total{${H}}[$__rate_interval])) / ${REQUESTS}`,
          "{{instance}}",
        ),
      ),
    )
    .withPanel(
      graph(
        13,
        "CPU",
        "CPU used by Apache in % of one core: now (rate of CPU time) and CPULoad, mod_status' average since the last restart.",
        { x: 12, y: 35, w: 12, h: 8 },
        "percent",
      ).withTarget(
        query(
          "A",
          `sum by (instance) (rate(apache_cpu_time_ms_total{${H}}[$__rate_interval])) / 10`,
          "{{instance}} now",
        ),
      ).withTarget(query("B", `apache_cpuload{${H}}`, "{{instance}} average since restart")),
    )
    .withPanel(
      graph(14, "Uptime", "Seconds since Apache's last restart; a drop is a restart.", {
        x: 0,
        y: 43,
        w: 24,
        h: 8,
      }, "s").withTarget(query("A", `apache_uptime_seconds_total{${H}}`, "{{instance}}")),
    );
  return b.build();
}
