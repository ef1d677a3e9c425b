package dev.infopro.dl4j.planning;

import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.config.MinMaxPartitions;
import dev.infopro.dl4j.config.SplitStrategy;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.models.CifarResNet;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The step-time estimate against closed forms, and BALANCED_TIME against brute force over all candidate cuts. */
class StepTimeEstimatorTest {
    private static final InputType IN = InputType.convolutional(28, 28, 1);

    private static ComputationGraphConfiguration resnet(int depth) {
        return CifarResNet.builder().depth(depth).channels(1).height(28).width(28).build().configuration();
    }

    @Test
    void verticesCostTheElementsTheyOutput() {
        Map<String, Double> c = StepTimeEstimator.vertexCosts(resnet(8), IN);
        // the stem convolution, its batch norm and its activation each output 16 channels of 28x28
        assertEquals(16 * 28 * 28, c.get("stem_conv"), 0.0);
        assertEquals(16 * 28 * 28, c.get("stem_bn"), 0.0);
        assertEquals(16 * 28 * 28, c.get("stem"), 0.0);
        // the last stage runs at 7x7 with 64 channels; the classifier outputs 10 scores
        assertEquals(64, c.get("gap"), 0.0);
        assertEquals(10, c.get("fc"), 0.0);
    }

    @Test
    void balancedTimeMinimisesTheLargestModuleExactly() {
        ComputationGraphConfiguration conf = resnet(14);
        LocalLearning method = LocalLearning.infoProContrast();
        for (int k : new int[]{2, 3, 4}) {
            LocalModuleGraph m = LocalModuleGraph.builder(conf).inputTypes(IN).method(method)
                    .lambdas(dev.infopro.dl4j.config.LambdaSchedule.referenceDefault(k))
                    .modules(k, SplitStrategy.BALANCED_TIME).build();
            GraphAnalysis analysis = new GraphAnalysis(conf);
            // exact over the cuts the planner offers the strategy: the block boundaries of the ResNet
            List<String> valid = CutPlanner.candidateCuts(conf, new InputType[]{IN}, analysis, k, method,
                    CutPlanner.headContext(new InputType[]{IN}, 10));
            List<dev.infopro.dl4j.heads.AuxiliaryHead> heads = List.of(method.getReconstructionHead(),
                    method.getLabelHead());
            double[][] c = StepTimeEstimator.splitCosts(conf, new InputType[]{IN}, valid, heads,
                    CutPlanner.headContext(new InputType[]{IN}, 10));
            int[] chosen = m.getConfig().getCuts().stream().mapToInt(valid::indexOf).toArray();
            double best = MinMaxPartitions.bruteForce(c[0], c[1], k);
            assertEquals(best, MinMaxPartitions.maxCost(c[0], c[1], chosen), 1e-6 * best,
                    "K = " + k + ", cuts " + java.util.Arrays.toString(chosen));
            assertTrue(best < total(c[0]), "a split must be cheaper than the whole network");
        }
    }

    private static double total(double[] seg) {
        double t = 0;
        for (double s : seg) {
            t += s;
        }
        return t;
    }
}
