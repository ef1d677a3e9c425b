package dev.infopro.dl4j.cli;

import dev.infopro.dl4j.data.DatasetSplits;
import dev.infopro.dl4j.data.ImageDataSetIterator;
import dev.infopro.dl4j.engine.LocalModuleGraph;
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

/**
 * {@code infopro eval}: test accuracy of a trained model (a plain ComputationGraph or MultiLayerNetwork zip, or a
 * LocalModuleGraph zip).
 */
@Command(name = "eval", mixinStandardHelpOptions = true, description = "Evaluate a trained model on a test set.")
class EvalCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec commandSpec;

    @Option(names = "--model", required = true, description = "model.zip (ComputationGraph or MultiLayerNetwork) or local-model.zip.")
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
            switch (kind(f)) {
                case LOCAL:
                    e = LocalModuleGraph.load(f).evaluate(test);
                    break;
                case MULTI_LAYER:
                    e = ModelSerializer.restoreMultiLayerNetwork(f, false).evaluate(test);
                    break;
                default:
                    e = ModelSerializer.restoreComputationGraph(f, false).evaluate(test);
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

    /** What a model zip holds. */
    private enum Kind { LOCAL, GRAPH, MULTI_LAYER }

    private static Kind kind(File f) throws java.io.IOException {
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(f)) {
            if (z.getEntry("local-config.json") != null) { // LocalModuleGraph.save writes it
                return Kind.LOCAL;
            }
            java.util.zip.ZipEntry conf = z.getEntry("configuration.json"); // ModelSerializer writes it
            if (conf == null) {
                throw new UsageException("--model " + f + " is neither a DL4J model zip (it has no configuration.json)"
                        + " nor a local-model.zip");
            }
            try (java.io.InputStream in = z.getInputStream(conf)) {
                // a MultiLayerConfiguration lists its layers' configurations under "confs", a graph its "vertices"
                return Json.MAPPER.readTree(in).has("confs") ? Kind.MULTI_LAYER : Kind.GRAPH;
            }
        } catch (java.util.zip.ZipException ex) {
            throw new UsageException("--model " + f + " is not a model zip: " + ex.getMessage());
        }
    }
}
