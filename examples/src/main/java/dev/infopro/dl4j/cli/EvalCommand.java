package dev.infopro.dl4j.cli;

import dev.infopro.dl4j.data.DatasetSplits;
import dev.infopro.dl4j.data.ImageDataSetIterator;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.evaluation.classification.Evaluation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code infopro eval}: test accuracy of a trained model (plain ComputationGraph zip or LocalModuleGraph zip). */
@Command(name = "eval", mixinStandardHelpOptions = true, description = "Evaluate a trained model on a test set.")
class EvalCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec commandSpec;

    @Option(names = "--model", required = true, description = "model.zip (ComputationGraph) or local-model.zip.")
    Path model;

    @Option(names = "--data", defaultValue = "fashion-mnist", description = "Dataset spec, as for train.")
    String data;

    @Option(names = "--batch", defaultValue = "256", description = "Batch size (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--json", description = "Print one JSON line.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(model)) {
            throw new UsageException("--model " + model + " does not exist or is not a file");
        }
        DatasetSplits splits = Experiment.loadData(ExperimentSpec.builder().data(data).build());
        Evaluation e;
        try (ImageDataSetIterator test = splits.testIterator(batch)) {
            File f = model.toFile();
            if (isLocalModel(f)) {
                e = LocalModuleGraph.load(f).evaluate(test);
            } else {
                ComputationGraph g = ModelSerializer.restoreComputationGraph(f, false);
                e = g.evaluate(test);
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", model.toString());
        out.put("data", data);
        out.put("examples", e.getNumRowCounter());
        out.put("test_accuracy", e.accuracy());
        if (json) {
            commandSpec.commandLine().getOut().println(Json.line(out));
        } else {
            commandSpec.commandLine().getOut().println(e.stats());
        }
        return 0;
    }

    private static boolean isLocalModel(File f) throws java.io.IOException {
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(f)) {
            return z.getEntry("local-config.json") != null; // LocalModuleGraph.save writes it
        } catch (java.util.zip.ZipException ex) {
            throw new UsageException("--model " + f + " is not a model zip: " + ex.getMessage());
        }
    }
}
