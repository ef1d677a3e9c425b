package dev.infopro.dl4j.planning;

import dev.infopro.dl4j.config.LambdaSchedule;
import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.config.LocalTrainingConfig;
import dev.infopro.dl4j.heads.HeadContext;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Turns a network, a {@link CutRequest} and the user's settings into a {@link TrainingPlan}: resolves and validates
 * the cuts (or chooses them with {@link CutPlanner}), checks that the method fits them, fills in the defaults (the
 * method, the lambdas, the number of classes) and splits the network into module configurations
 * with their heads ({@link GraphSplitter}). Every check of a local-training setup happens here, once.
 */
public final class Planner {
    private Planner() {
    }

    /**
     * Checks everything about a local-training setup that does not depend on the input types: explicit cuts (each
     * must separate the graph; the message names the crossing edges and the valid cuts), the split strategy and
     * whether the graph has enough valid cuts for K, the method against the number of modules, and the lambdas.
     * {@link #plan} does the same checks; this lets a model whose input types come from its first batch fail at
     * build time rather than at its first step.
     *
     * @throws IllegalArgumentException naming what is wrong and how to fix it
     */
    public static void check(ComputationGraphConfiguration network, CutRequest cuts, LocalTrainingConfig settings) {
        GraphAnalysis analysis = new GraphAnalysis(network);
        int numCuts;
        if (cuts.getVertices() != null) {
            numCuts = analysis.sortAndCheckCuts(cuts.getVertices()).size();
        } else if (cuts.getNumModules() > 1) {
            requireStrategy(cuts);
            numCuts = cuts.getNumModules() - 1;
            List<String> valid = analysis.validCuts();
            if (numCuts > valid.size()) {
                throw new IllegalArgumentException("Cannot split into " + cuts.getNumModules() + " modules: the graph"
                        + " has only " + valid.size() + " valid cut vertices " + valid + " (K-1 = " + numCuts
                        + " needed); use fewer modules");
            }
        } else {
            numCuts = 0;
        }
        LambdaSchedule lambdas = checkMethod(settings, numCuts, analysis, null).lambdas;
        if (lambdas != null) {
            lambdas.lambdas(0, numCuts); // an explicit schedule must have one pair per local module
        }
    }

    /**
     * Plans local training.
     *
     * @param network         the whole network's configuration (not modified)
     * @param cuts            where to cut
     * @param settings        the user's settings with the network's input types ({@link InputTypes} finds them
     *                        when the user gives none); its {@code cuts} are ignored, a null method means end-to-end
     *                        when there is no cut, null lambdas mean {@link LambdaSchedule#defaultFor},
     *                        {@code numClasses} 0 means the first output layer's nOut; a null normalisation stays
     *                        null (the engine takes it from the data, see {@code LocalModuleGraph})
     * @param memoryBatchSize batch size for which a memory-aware split strategy estimates module memory
     * @throws IllegalArgumentException for invalid cuts, lambdas or inconsistent settings
     */
    public static TrainingPlan plan(ComputationGraphConfiguration network, CutRequest cuts,
                                    LocalTrainingConfig settings, int memoryBatchSize) {
        ComputationGraphConfiguration conf = network.clone();
        InputType[] inputTypes = settings.getInputTypes();
        if (inputTypes == null) {
            throw new IllegalArgumentException("The network's input types are needed to plan the modules: give"
                    + " inputTypes(...), e.g. inputTypes(InputType.convolutional(32, 32, 3))");
        }
        if (memoryBatchSize < 1) {
            throw new IllegalArgumentException("memoryBatchSize must be >= 1, got " + memoryBatchSize);
        }
        GraphAnalysis analysis = new GraphAnalysis(conf);
        List<String> resolved = resolveCuts(conf, inputTypes, analysis, cuts, settings.getMethod(),
                settings.getNumClasses(), memoryBatchSize);
        MethodAndLambdas ml = checkMethod(settings, resolved.size(), analysis, batchNormFlags(conf, analysis, resolved));
        LocalLearning m = ml.method;
        int classes = numClasses(conf, settings.getNumClasses());
        HeadContext context = CutPlanner.headContext(inputTypes, classes);
        int numLocal = resolved.size();
        List<List<GraphSplitter.HeadAttachment>> heads = new ArrayList<>();
        for (int i = 0; i < numLocal; i++) {
            double[] l = m.lambdas(ml.lambdas, i, numLocal);
            List<GraphSplitter.HeadAttachment> h = new ArrayList<>();
            if (m.usesLambdas()) {
                h.add(new GraphSplitter.HeadAttachment(m.getReconstructionHead(), l[0]));
            }
            h.add(new GraphSplitter.HeadAttachment(m.getLabelHead(), l[1]));
            heads.add(h);
        }
        LocalTrainingConfig config = settings.toBuilder().cuts(resolved).method(m).lambdas(ml.lambdas)
                .inputTypes(inputTypes.clone()).numClasses(classes).build();
        List<GraphSplitter.ModuleConfiguration> parts = GraphSplitter.split(conf, inputTypes, resolved, heads,
                context, settings.getUpdater());
        return TrainingPlan.of(config, conf, parts);
    }

    /**
     * The method (end-to-end when none is given and there is no cut) and its lambdas, checked against the cuts.
     * {@code batchNorm} says which local modules hold a batch norm (for the default lambdas); null when the cuts
     * are not resolved yet, then the reference's values stand in (only their count is checked).
     */
    private static MethodAndLambdas checkMethod(LocalTrainingConfig settings, int numCuts, GraphAnalysis analysis,
                                                boolean[] batchNorm) {
        LocalLearning requested = settings.getMethod();
        LocalLearning m = requested != null ? requested : numCuts == 0 ? LocalLearning.endToEnd() : null;
        if (m == null) {
            throw new IllegalArgumentException("The network is cut into " + (numCuts + 1) + " modules:"
                    + " choose a method, e.g. method(LocalLearning.infoProContrast())");
        }
        if (m.getKind() == LocalLearning.Kind.END_TO_END && numCuts > 0) {
            throw new IllegalArgumentException("endToEnd() trains one module; remove cutAfter/modules ("
                    + numCuts + " cuts)");
        }
        if (m.getKind() != LocalLearning.Kind.END_TO_END && numCuts == 0) {
            throw new IllegalArgumentException(m.getKind() + " needs at least one cut: use cutAfter(...) or"
                    + " modules(K >= 2, strategy). Valid cut vertices: " + analysis.validCuts());
        }
        if (!m.usesLambdas() && settings.getLambdas() != null) {
            throw new IllegalArgumentException(m.getKind() + " does not use lambdas; remove lambdas(...)");
        }
        // the library's default lambdas when none are given; kept in the saved config
        LambdaSchedule lambdas = !m.usesLambdas() ? null : settings.getLambdas() != null ? settings.getLambdas()
                : batchNorm == null ? LambdaSchedule.referenceDefault(numCuts + 1)
                : LambdaSchedule.defaultFor(numCuts + 1, batchNorm);
        return new MethodAndLambdas(m, lambdas);
    }

    /** For each local module (each cut), whether its backbone holds a batch-norm layer. */
    private static boolean[] batchNormFlags(ComputationGraphConfiguration conf, GraphAnalysis analysis,
                                            List<String> cuts) {
        List<List<String>> modules = analysis.moduleVertices(cuts);
        boolean[] flags = new boolean[cuts.size()];
        for (int i = 0; i < cuts.size(); i++) {
            flags[i] = modules.get(i).stream().map(conf.getVertices()::get).anyMatch(v -> v instanceof LayerVertex
                    && ((LayerVertex) v).getLayerConf().getLayer() instanceof BatchNormalization);
        }
        return flags;
    }

    private static void requireStrategy(CutRequest cuts) {
        if (cuts.getStrategy() == null) {
            throw new IllegalArgumentException("modules(K, strategy) needs a strategy, e.g. SplitStrategy.EQUAL_DEPTH");
        }
    }

    private static final class MethodAndLambdas {
        final LocalLearning method;
        final LambdaSchedule lambdas;

        MethodAndLambdas(LocalLearning method, LambdaSchedule lambdas) {
            this.method = method;
            this.lambdas = lambdas;
        }
    }

    private static List<String> resolveCuts(ComputationGraphConfiguration conf, InputType[] inputTypes,
                                            GraphAnalysis analysis, CutRequest cuts, LocalLearning method,
                                            int numClasses, int memoryBatchSize) {
        if (cuts.getVertices() != null) {
            return analysis.sortAndCheckCuts(cuts.getVertices());
        }
        if (cuts.getNumModules() > 1) {
            requireStrategy(cuts);
            return CutPlanner.chooseCuts(conf, inputTypes, analysis, cuts.getNumModules(), cuts.getStrategy(),
                    method, CutPlanner.headContext(inputTypes, numClasses(conf, numClasses)), memoryBatchSize);
        }
        return Collections.emptyList();
    }

    private static int numClasses(ComputationGraphConfiguration conf, int requested) {
        return requested > 0 ? requested : CutPlanner.inferNumClasses(conf);
    }
}
