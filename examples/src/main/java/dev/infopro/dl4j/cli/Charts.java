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
}
