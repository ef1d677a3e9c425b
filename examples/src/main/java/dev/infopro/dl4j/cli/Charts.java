package dev.infopro.dl4j.cli;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

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

    /**
     * Training loss of each module against iterations, smoothed (a trailing mean, {@link #smoothingWindow}), with
     * the test accuracy after each epoch on its own axis on the right. Falls back to the epochs' mean losses
     * against epochs when some epoch has no per-iteration losses (it was trained before a resume).
     */
    static void trainingCurves(String title, List<EpochMetrics> epochs, Path png) throws IOException {
        boolean perIteration = epochs.stream().allMatch(e -> e.getIterationModuleLoss() != null
                && e.getIterationModuleLoss().length > 0);
        int modules = epochs.get(0).getModuleTrainLoss().length;
        List<List<Double>> loss = new ArrayList<>();
        for (int k = 0; k < modules; k++) {
            loss.add(new ArrayList<>());
        }
        List<Double> lossX = new ArrayList<>();
        List<Double> accX = new ArrayList<>();
        List<Double> acc = new ArrayList<>();
        int iteration = 0;
        for (EpochMetrics e : epochs) {
            double[][] rows = perIteration ? e.getIterationModuleLoss() : new double[][]{e.getModuleTrainLoss()};
            for (double[] row : rows) {
                iteration++;
                lossX.add(perIteration ? iteration : (double) e.getEpoch());
                for (int k = 0; k < modules; k++) {
                    loss.get(k).add(row[k]);
                }
            }
            accX.add(perIteration ? iteration : (double) e.getEpoch());
            acc.add(e.getTestAccuracy());
        }
        int window = perIteration ? smoothingWindow(lossX.size()) : 1;
        XYChart chart = new XYChartBuilder().width(900).height(500).title(title)
                .xAxisTitle(perIteration ? "iteration (mini-batch)" : "epoch").build();
        chart.getStyler().setToolTipsEnabled(false);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS).setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setMarkerSize(7).setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        chart.getStyler().setYAxisMin(1, 0.0).setYAxisMax(1, 1.0);
        chart.setYAxisGroupTitle(0, window > 1 ? "training loss (mean of " + window + " iterations)" : "training loss");
        chart.setYAxisGroupTitle(1, "test accuracy");
        for (int k = 0; k < modules; k++) {
            String name = modules == 1 ? "training loss" : "module " + (k + 1) + " loss" + (k == modules - 1 ? " (network's)" : "");
            chart.addSeries(name, lossX, smooth(loss.get(k), window))
                    .setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line).setMarker(perIteration ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
        }
        XYSeries a = chart.addSeries("test accuracy (after each epoch)", accX, acc);
        a.setYAxisGroup(1);
        a.setMarker(SeriesMarkers.DIAMOND);
        a.setXYSeriesRenderStyle(accX.size() > 1 ? XYSeries.XYSeriesRenderStyle.Line : XYSeries.XYSeriesRenderStyle.Scatter);
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** Iterations averaged for the loss curves: a twentieth of the run, between 1 and 50. */
    static int smoothingWindow(int iterations) {
        return Math.max(1, Math.min(50, iterations / 20));
    }

    /** Trailing mean over {@code window} values (fewer at the start). */
    static List<Double> smooth(List<Double> values, int window) {
        List<Double> out = new ArrayList<>(values.size());
        double sum = 0;
        for (int i = 0; i < values.size(); i++) {
            sum += values.get(i);
            if (i >= window) {
                sum -= values.get(i - window);
            }
            out.add(sum / Math.min(i + 1, window));
        }
        return out;
    }

    /**
     * The comparison of {@code compare}: {@code accuracy.png}, every configuration's test accuracy after each epoch,
     * and {@code memory.png}, the peak memory of each, both titled with the setting they were measured on (for
     * example "ResNet-14, batch 64, 3000 training images").
     */
    static void comparison(List<ExperimentResult> rows, String setting, Path accuracyPng, Path memoryPng)
            throws IOException {
        accuracy(rows, setting, accuracyPng);
        List<String> labels = new ArrayList<>();
        List<Double> mem = new ArrayList<>();
        for (ExperimentResult r : rows) {
            labels.add(label(r));
            mem.add((double) Math.round(r.getPeakBytes() / 1048576.0));
        }
        bars("Peak training memory: " + setting, "MiB (process RSS)", labels, mem, memoryPng);
    }

    /** Every configuration's test accuracy after each epoch, one line each, titled with the setting. */
    static void accuracy(List<ExperimentResult> rows, String setting, Path png) throws IOException {
        XYChart a = new XYChartBuilder().width(900).height(500).title("Test accuracy: " + setting)
                .xAxisTitle("epoch").yAxisTitle("test accuracy (%)").build();
        a.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE).setMarkerSize(8).setToolTipsEnabled(false);
        a.getStyler().setXAxisDecimalPattern("0");
        for (ExperimentResult r : rows) {
            List<Integer> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (EpochMetrics e : r.getEpochs()) {
                x.add(e.getEpoch());
                y.add(100 * e.getTestAccuracy());
            }
            a.addSeries(label(r), x, y).setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        }
        BitmapEncoder.saveBitmap(a, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** A labelled bar chart, one bar per configuration, values printed on the bars. */
    static void bars(String title, String yTitle, List<String> labels, List<Double> values, Path png)
            throws IOException {
        CategoryChart m = new CategoryChartBuilder().width(800).height(500).title(title).yAxisTitle(yTitle).build();
        m.getStyler().setLegendVisible(false).setToolTipsEnabled(false);
        m.getStyler().setXAxisLabelRotation(20);
        m.getStyler().setLabelsVisible(true);
        m.getStyler().setYAxisDecimalPattern("#,##0");
        m.getStyler().setYAxisMin(0.0);
        m.addSeries("value", labels, values);
        BitmapEncoder.saveBitmap(m, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** A configuration's name in charts and tables: {@code e2e}, {@code greedy K=2}. */
    static String label(ExperimentResult r) {
        return r.getMethod() + (r.getK() > 1 ? " K=" + r.getK() : "");
    }

    /**
     * {@code infopro memory}: per K, the measured peak (RSS increase), ND4J's own counters and the estimate in MiB
     * (each where every row has it), and the step time; or, for {@code --max-batch} rows, the largest batch per K.
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
        // null where the engine has no such figure (SameDiff: no in-step counters, no estimate): no bar, not a 0
        if (allNumbers(rows, "peak_nd4j_bytes")) {
            m.addSeries("ND4J counters peak", labels, column(rows, "peak_nd4j_bytes", 1048576.0));
        }
        if (allNumbers(rows, "estimated_bytes")) {
            m.addSeries("estimate", labels, column(rows, "estimated_bytes", 1048576.0));
        }
        CategoryChart t = new CategoryChartBuilder().width(700).height(450).title("Step time (s)").build();
        t.getStyler().setLegendVisible(false);
        t.addSeries("step", labels, column(rows, "step_ms", 1000.0));
        BitmapEncoder.saveBitmap(List.of(m, t), 1, 2, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static boolean allNumbers(List<Map<String, Object>> rows, String key) {
        return rows.stream().allMatch(r -> r.get(key) instanceof Number);
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
