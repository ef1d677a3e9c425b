package dev.infopro.dl4j.planning;

import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.config.SplitStrategy;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.engine.TestClassifierHead;
import dev.infopro.dl4j.heads.AuxiliaryHead;
import dev.infopro.dl4j.planning.CutPlanner;
import dev.infopro.dl4j.heads.HeadContext;
import dev.infopro.dl4j.models.CifarResNet;
import dev.infopro.dl4j.models.CutPresets;
import dev.infopro.dl4j.planning.GraphAnalysis;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLambdaLayer;
import org.deeplearning4j.nn.conf.memory.NetworkMemoryReport;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemoryEstimatorTest {
    private static final InputType CIFAR = InputType.convolutional(32, 32, 3);

    @Test
    void localEstimateOfOneModuleIsTheEndToEndEstimateAndFourModulesNeedLess() {
        ComputationGraphConfiguration conf = CifarResNet.builder().depth(14).build().configuration();
        MemoryEstimate e2e = MemoryEstimator.endToEnd(conf, new InputType[]{CIFAR}, 64);
        MemoryEstimate one = MemoryEstimator.local(LocalModuleGraph.builder(conf).inputTypes(CIFAR).build().getPlan(), 64);
        assertEquals(e2e.totalBytes(), one.totalBytes());
        // stage 1 alone: 64 x 16 x 32 x 32 floats = 4 MiB per activation, dozens of them
        assertTrue(e2e.peakVariableBytes() > 100L << 20, "E2E variable " + e2e.peakVariableBytes());
        LocalModuleGraph k4 = LocalModuleGraph.builder(conf).inputTypes(CIFAR)
                .cutAfter(CutPresets.cuts(14, 4, false, false).toArray(new String[0]))
                .method(LocalLearning.greedy(new TestClassifierHead())).build();
        MemoryEstimate local = MemoryEstimator.local(k4.getPlan(), 64);
        assertEquals(4, local.getPerModuleVariableBytes().length);
        assertTrue(local.totalBytes() < 0.6 * e2e.totalBytes(), local.totalBytes() + " vs " + e2e.totalBytes());
        // parameters are all kept: the heads add a little, nothing is lost
        assertTrue(local.getFixedBytes() >= e2e.getFixedBytes());
        // linear in the batch: twice the batch, twice the variable memory (within fixed working memory)
        MemoryEstimate e2e128 = MemoryEstimator.endToEnd(conf, new InputType[]{CIFAR}, 128);
        assertEquals(2.0, (double) e2e128.peakVariableBytes() / e2e.peakVariableBytes(), 0.05);
    }

    /** y = 2x as a SameDiff layer: DL4J's memory report cannot handle it. */
    static final class Doubling extends SameDiffLambdaLayer {
        @Override
        public SDVariable defineLayer(SameDiff sd, SDVariable x) {
            return x.mul(2.0);
        }

        @Override
        public InputType getOutputType(int layerIndex, InputType inputType) {
            return inputType;
        }
    }

    @Test
    void customLayersAreCountedFromTheirOutputType() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT)
                .graphBuilder().addInputs("in")
                .addLayer("c", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build(), "in")
                .addLayer("sd", new Doubling(), "c")
                .addLayer("gap", new GlobalPoolingLayer.Builder().build(), "sd")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "gap")
                .setOutputs("out").setInputTypes(InputType.convolutional(8, 8, 2)).build();
        NetworkMemoryReport r = MemoryEstimator.report(conf, InputType.convolutional(8, 8, 2));
        // output 4 x 6 x 6 floats per example, activation and its gradient: 2 * 144 * 4 bytes * batch 10
        long sdBytes = MemoryEstimator.variableBytes(r.getLayerAndVertexReports().get("sd"), 10, DataType.FLOAT);
        assertEquals(2L * 144 * 4 * 10, sdBytes);
        assertTrue(MemoryEstimator.endToEnd(conf, new InputType[]{InputType.convolutional(8, 8, 2)}, 10)
                .totalBytes() > sdBytes);
    }

    /**
     * BALANCED_MEMORY on ResNet-110 (3x32x32, batch 128) vs the paper's InfoPro* tables: the search is optimal for
     * the estimate over the planner's candidates (the residual blocks' outputs, where the paper's tables cut too), so
     * its largest module is never above the paper's split's largest module under the same model.
     */
    @Test
    void resnet110BalancedSplitVersusPaper() {
        ComputationGraphConfiguration conf = CifarResNet.builder().depth(110).build().configuration();
        // InfoPro* = InfoPro (Contrast) heads: the decoder and the 1c2f projection head on every local module
        LocalLearning method = LocalLearning.infoProContrast();
        List<AuxiliaryHead> heads = List.of(method.getReconstructionHead(), method.getLabelHead());
        HeadContext ctx = HeadContext.builder().numClasses(10).imageChannels(3).imageHeight(32).imageWidth(32).build();
        GraphAnalysis a = new GraphAnalysis(conf);
        List<String> valid = CutPlanner.candidateCuts(conf, new InputType[]{CIFAR}, a, 4, method, ctx);
        assertEquals(BlockBoundaries.of(conf, a, valid), valid, "the candidates are block boundaries");
        double[][] cost = MemoryEstimator.splitCosts(conf, new InputType[]{CIFAR}, valid, heads, ctx, 128);
        for (int k = 2; k <= 4; k++) {
            int[] idx = SplitStrategy.BALANCED_MEMORY.chooseCuts(valid, cost[0], cost[1], k);
            List<String> ours = new ArrayList<>();
            for (int i : idx) {
                ours.add(valid.get(i));
            }
            List<String> paper = CutPresets.cuts(110, k, true, false);
            List<String> equal = CutPresets.cuts(110, k, false, false);
            double mOurs = maxModule(valid, cost, ours);
            double mPaper = maxModule(valid, cost, paper);
            double mEqual = maxModule(valid, cost, equal);
            double total = 0;
            for (double c : cost[0]) {
                total += c;
            }
            System.out.printf("K=%d ours %s max %.0f MiB | paper %s max %.0f MiB | equal-depth %s max %.0f MiB |"
                    + " sum of activations %.0f MiB%n", k, ours, mOurs / 1048576, paper, mPaper / 1048576, equal,
                    mEqual / 1048576, total / 1048576);
            assertTrue(mOurs <= mPaper + 1, "K=" + k);
            assertTrue(mOurs < mEqual, "K=" + k);
        }
    }

    private static double maxModule(List<String> valid, double[][] cost, List<String> cuts) {
        double max = 0;
        double cur = 0;
        int next = 0;
        for (int s = 0; s < cost[0].length; s++) {
            cur += cost[0][s];
            if (next < cuts.size() && s < valid.size() && valid.get(s).equals(cuts.get(next))) {
                max = Math.max(max, cur + cost[1][s]);
                cur = 0;
                next++;
            }
        }
        assertEquals(cuts.size(), next, "cuts " + cuts + " are not valid cuts in order");
        return Math.max(max, cur);
    }
}
