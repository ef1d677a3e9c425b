package dev.infopro.dl4j.cli;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The tool's PNG charts (XChart, rendered headless). */
final class Charts {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {
    }

    /** Per-module training loss and test accuracy by epoch. */
    static void trainingCurves(String title, List<EpochMetrics> epochs, Path png) throws IOException {
        XYChart chart = new XYChartBuilder().width(800).height(500).title(title).xAxisTitle("epoch")
                .yAxisTitle("loss / accuracy").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE).setMarkerSize(6);
        List<Integer> x = new ArrayList<>();
        for (EpochMetrics m : epochs) {
            x.add(m.getEpoch());
        }
        int modules = epochs.get(0).getModuleTrainLoss().length;
        for (int k = 0; k < modules; k++) {
            List<Double> y = new ArrayList<>();
            for (EpochMetrics m : epochs) {
                y.add(m.getModuleTrainLoss()[k]);
            }
            chart.addSeries("train loss module " + (k + 1), x, y).setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        }
        List<Double> acc = new ArrayList<>();
        for (EpochMetrics m : epochs) {
            acc.add(m.getTestAccuracy());
        }
        chart.addSeries("test accuracy", x, acc);
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** Test accuracy and peak memory of each compared configuration, side by side. */
    static void comparison(List<ExperimentResult> rows, Path png) throws IOException {
        List<String> labels = new ArrayList<>();
        List<Double> acc = new ArrayList<>();
        List<Double> mem = new ArrayList<>();
        for (ExperimentResult r : rows) {
            labels.add(r.getMethod() + (r.getK() > 1 ? " K=" + r.getK() : ""));
            acc.add(100 * r.getTestAccuracy());
            mem.add(r.getPeakBytes() / 1048576.0);
        }
        CategoryChart a = new CategoryChartBuilder().width(600).height(450).title("Test accuracy (%)").build();
        a.getStyler().setLegendVisible(false);
        a.getStyler().setXAxisLabelRotation(30);
        a.addSeries("accuracy", labels, acc);
        CategoryChart m = new CategoryChartBuilder().width(600).height(450).title("Peak memory (MiB, process RSS)").build();
        m.getStyler().setLegendVisible(false);
        m.getStyler().setXAxisLabelRotation(30);
        m.addSeries("peak memory", labels, mem);
        BitmapEncoder.saveBitmap(List.of(a, m), 1, 2, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
    /**
     * {@code infopro memory}: per K, the measured peak (RSS increase), ND4J's own counters and the estimate in MiB,
     * and the step time; or, for {@code --max-batch} rows, the largest batch per K.
     */
    static void memory(String title, List<Map<String, Object>> rows, Path png) throws IOException {
        List<String> labels = new ArrayList<>();
        for (Map<String, Object> r : rows) {
            labels.add(((Number) r.get("k")).intValue() == 1 ? "E2E" : "K=" + r.get("k"));
        }
        if (rows.get(0).containsKey("max_batch")) {
            CategoryChart c = new CategoryChartBuilder().width(700).height(450).title(title).yAxisTitle("largest batch")
                    .build();
            c.getStyler().setLegendVisible(false);
            c.addSeries("max batch", labels, column(rows, "max_batch", 1));
            BitmapEncoder.saveBitmap(c, png.toString(), BitmapEncoder.BitmapFormat.PNG);
            return;
        }
        CategoryChart m = new CategoryChartBuilder().width(700).height(450).title(title).yAxisTitle("MiB").build();
        m.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        m.addSeries("measured peak (RSS increase)", labels, column(rows, "measured_peak_bytes", 1048576.0));
        m.addSeries("ND4J counters peak", labels, column(rows, "peak_nd4j_bytes", 1048576.0));
        m.addSeries("estimate", labels, column(rows, "estimated_bytes", 1048576.0));
        CategoryChart t = new CategoryChartBuilder().width(700).height(450).title("Step time (s)").build();
        t.getStyler().setLegendVisible(false);
        t.addSeries("step", labels, column(rows, "step_ms", 1000.0));
        BitmapEncoder.saveBitmap(List.of(m, t), 1, 2, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static List<Double> column(List<Map<String, Object>> rows, String key, double divisor) {
        List<Double> v = new ArrayList<>();
        for (Map<String, Object> r : rows) {
            Object o = r.get(key);
            v.add(o instanceof Number ? ((Number) o).doubleValue() / divisor : 0.0);
        }
        return v;
    }
}
