package dev.infopro.dl4j.planning;

import dev.infopro.dl4j.data.Normalization;
import dev.infopro.dl4j.config.LambdaSchedule;
import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.config.LocalTrainingConfig;
import dev.infopro.dl4j.heads.HeadContext;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Turns a network, a {@link CutRequest} and the user's settings into a {@link TrainingPlan}: resolves and validates
 * the cuts (or chooses them with {@link CutPlanner}), checks that the method fits them, fills in the defaults (the
 * method, the number of classes, the identity normalisation) and splits the network into module configurations
 * with their heads ({@link GraphSplitter}). Every check of a local-training setup happens here, once.
 */
public final class Planner {
    private Planner() {
    }

    /**
     * Plans local training.
     *
     * @param network         the whole network's configuration (not modified)
     * @param cuts            where to cut
     * @param settings        the user's settings; its {@code cuts} are ignored, a null method means end-to-end when
     *                        there is no cut, {@code numClasses} 0 means the first output layer's nOut, a null
     *                        normalisation means the identity
     * @param memoryBatchSize batch size for which a memory-aware split strategy estimates module memory
     * @throws IllegalArgumentException for invalid cuts, missing input types or lambdas, or inconsistent settings
     */
    public static TrainingPlan plan(ComputationGraphConfiguration network, CutRequest cuts,
                                    LocalTrainingConfig settings, int memoryBatchSize) {
        ComputationGraphConfiguration conf = network.clone();
        InputType[] inputTypes = settings.getInputTypes();
        if (inputTypes == null) {
            throw new IllegalArgumentException("inputTypes(...) is required: DL4J configurations do not store"
                    + " input types, e.g. inputTypes(InputType.convolutional(32, 32, 3))");
        }
        if (memoryBatchSize < 1) {
            throw new IllegalArgumentException("memoryBatchSize must be >= 1, got " + memoryBatchSize);
        }
        GraphAnalysis analysis = new GraphAnalysis(conf);
        LocalLearning requested = settings.getMethod();
        List<String> resolved = resolveCuts(conf, inputTypes, analysis, cuts, requested, settings.getNumClasses(),
                memoryBatchSize);
        LocalLearning m = requested != null ? requested : resolved.isEmpty() ? LocalLearning.endToEnd() : null;
        if (m == null) {
            throw new IllegalArgumentException("The network is cut into " + (resolved.size() + 1) + " modules:"
                    + " choose a method, e.g. method(LocalLearning.infoProContrast(decoder, projection))");
        }
        if (m.getKind() == LocalLearning.Kind.END_TO_END && !resolved.isEmpty()) {
            throw new IllegalArgumentException("endToEnd() trains one module; remove cutAfter/modules (cuts "
                    + resolved + ")");
        }
        if (m.getKind() != LocalLearning.Kind.END_TO_END && resolved.isEmpty()) {
            throw new IllegalArgumentException(m.getKind() + " needs at least one cut: use cutAfter(...) or"
                    + " modules(K >= 2, strategy). Valid cut vertices: " + analysis.validCuts());
        }
        if (!m.usesLambdas() && settings.getLambdas() != null) {
            throw new IllegalArgumentException(m.getKind() + " does not use lambdas; remove lambdas(...)");
        }
        // the library's default lambdas (LambdaSchedule.referenceDefault) when none are given; kept in the saved config
        LambdaSchedule lambdas = !m.usesLambdas() ? null : settings.getLambdas() != null ? settings.getLambdas()
                : LambdaSchedule.referenceDefault(resolved.size() + 1);
        int classes = numClasses(conf, settings.getNumClasses());
        HeadContext context = CutPlanner.headContext(inputTypes, classes);
        int numLocal = resolved.size();
        List<List<GraphSplitter.HeadAttachment>> heads = new ArrayList<>();
        for (int i = 0; i < numLocal; i++) {
            double[] l = m.lambdas(lambdas, i, numLocal);
            List<GraphSplitter.HeadAttachment> h = new ArrayList<>();
            if (m.usesLambdas()) {
                h.add(new GraphSplitter.HeadAttachment(m.getReconstructionHead(), l[0]));
            }
            h.add(new GraphSplitter.HeadAttachment(m.getLabelHead(), l[1]));
            heads.add(h);
        }
        Normalization norm = settings.getNormalization() != null ? settings.getNormalization()
                : Normalization.none((int) context.getImageChannels());
        LocalTrainingConfig config = settings.toBuilder().cuts(resolved).method(m).lambdas(lambdas).normalization(norm)
                .inputTypes(inputTypes.clone()).numClasses(classes).build();
        List<GraphSplitter.ModuleConfiguration> parts = GraphSplitter.split(conf, inputTypes, resolved, heads,
                context, settings.getUpdater());
        return TrainingPlan.of(config, conf, parts);
    }

    private static List<String> resolveCuts(ComputationGraphConfiguration conf, InputType[] inputTypes,
                                            GraphAnalysis analysis, CutRequest cuts, LocalLearning method,
                                            int numClasses, int memoryBatchSize) {
        if (cuts.getVertices() != null) {
            return analysis.sortAndCheckCuts(cuts.getVertices());
        }
        if (cuts.getNumModules() > 1) {
            if (cuts.getStrategy() == null) {
                throw new IllegalArgumentException("modules(K, strategy) needs a strategy, e.g."
                        + " SplitStrategy.EQUAL_DEPTH");
            }
            return CutPlanner.chooseCuts(conf, inputTypes, analysis, cuts.getNumModules(), cuts.getStrategy(),
                    method, CutPlanner.headContext(inputTypes, numClasses(conf, numClasses)), memoryBatchSize);
        }
        return Collections.emptyList();
    }

    private static int numClasses(ComputationGraphConfiguration conf, int requested) {
        return requested > 0 ? requested : CutPlanner.inferNumClasses(conf);
    }
}
