package dev.infopro.dl4j.samediff;

import dev.infopro.dl4j.config.LambdaSchedule;
import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.engine.ModuleStepResult;
import dev.infopro.dl4j.optim.TorchSgd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SameDiffNetwork#fromGraph}: a graph written with SameDiff's own ops, as a user writes one (not the library's
 * units), cut by variable names. Its valid cuts, the errors for invalid ones, the module chain against the graph
 * itself, the graph's own loss and prediction, a graph loaded from a file, default lambdas, and training.
 */
@ExtendWith(DoublePrecision.class)
class SameDiffGraphImportTest {
    private static final DataType DT = DataType.DOUBLE;

    /**
     * image [N, 1, 8, 8] -> conv c1 -> relu a1 -> residual block (conv r1a, relu r1, conv r2, sum = a1 + r2, relu
     * block) -> stride-2 conv c4 -> relu a2 -> mean pooled -> mmul mm -> + bias = logits; xent (softmax
     * cross-entropy with placeholder label) and probs (softmax) on the logits.
     *
     * @param sharedWeight the stride-2 conv reuses the first conv's weights shape-wise: w4 = w3 (a parameter read on
     *                     both sides of any cut between them)
     */
    static SameDiff userGraph(boolean sharedWeight, boolean batchNorm) {
        Nd4j.getRandom().setSeed(11);
        SameDiff sd = SameDiff.create();
        SDVariable img = sd.placeHolder("image", DT, -1, 1, 8, 8);
        SDVariable label = sd.placeHolder("label", DT, -1, 3);
        Conv2DConfig same = Conv2DConfig.builder().kH(3).kW(3).pH(1).pW(1).sH(1).sW(1).dataFormat("NCHW").build();
        Conv2DConfig down = Conv2DConfig.builder().kH(3).kW(3).pH(1).pW(1).sH(2).sW(2).dataFormat("NCHW").build();
        SDVariable c1 = sd.cnn.conv2d("c1", img, weight(sd, "w1", 1, 4), sd.var("b1", Nd4j.zeros(DT, 4)), same);
        if (batchNorm) {
            c1 = sd.nn.batchNorm("bn1", c1, sd.constant("bn1_m", Nd4j.randn(DT, 4).muli(0.1)),
                    sd.constant("bn1_v", Nd4j.rand(DT, 4).addi(0.5)), sd.var("bn1_g", Nd4j.rand(DT, 4).addi(0.5)),
                    sd.var("bn1_b", Nd4j.randn(DT, 4).muli(0.1)), 1e-5, 1);
        }
        SDVariable a1 = sd.nn.relu("a1", c1, 0);
        SDVariable r1 = sd.nn.relu("r1", sd.cnn.conv2d("r1a", a1, weight(sd, "w2", 4, 4), same), 0);
        SDVariable w3 = weight(sd, "w3", 4, 4);
        SDVariable r2 = sd.cnn.conv2d("r2", r1, w3, same);
        SDVariable block = sd.nn.relu("block", sd.math.add("sum", a1, r2), 0);
        SDVariable w4 = sharedWeight ? w3 : weight(sd, "w4", 4, 4);
        SDVariable a2 = sd.nn.relu("a2", sd.cnn.conv2d("c4", block, w4, down), 0);
        SDVariable pooled = sd.mean("pooled", a2, 2, 3);
        SDVariable mm = sd.mmul("mm", pooled, sd.var("wf", Nd4j.rand(DT, 4, 3).subi(0.5)));
        SDVariable logits = sd.math.add("logits", mm, sd.var("bf", Nd4j.rand(DT, 3).subi(0.5)));
        sd.loss.softmaxCrossEntropy("xent", label, logits, null);
        sd.nn.softmax("probs", logits, 1);
        return sd;
    }

    // SameDiff's conv2d weights are [kH, kW, inC, outC].
    private static SDVariable weight(SameDiff sd, String name, int in, int out) {
        return sd.var(name, Nd4j.randn(DT, 3, 3, in, out).muli(Math.sqrt(2.0 / (9 * in))));
    }

    private static SameDiffNetwork network(SameDiff graph) {
        return SameDiffNetwork.fromGraph(graph).input("image").output("logits").build();
    }

    private static SameDiffLocalModel.Builder local(SameDiffNetwork net, String... cuts) {
        return SameDiffLocalModel.builder(net).cutAfter(cuts).method(LocalLearning.infoProContrast())
                .updater(new TorchSgd(0.05)).weightDecay(1e-4).seed(3);
    }

    private static DataSet batch(int n, long seed) {
        return SyntheticBatch.of(DT, n, 8, 3, seed);
    }

    @Test
    void unitsAreTheValidCutsInNetworkOrder() {
        SameDiffNetwork net = network(userGraph(false, false));
        // Not r1a, r1 or r2: the skip connection carries a1 over them. Not w1 (a parameter) or xent/probs.
        assertEquals(List.of("c1", "a1", "sum", "block", "c4", "a2", "pooled", "mm", "logits"), net.getUnitNames());
        assertArrayEquals(new long[]{1, 8, 8}, net.getInputShape());
        assertEquals(3, net.getNumClasses(), "from the output's shape");
        assertEquals(DT, net.getDataType());
        assertArrayEquals(new long[]{4, 4, 4}, net.unitShapes().get("a2"));
    }

    @Test
    void invalidCutsSayWhy() {
        SameDiffNetwork net = network(userGraph(false, false));
        String skip = assertThrows(IllegalArgumentException.class, () -> local(net, "r1").build()).getMessage();
        assertTrue(skip.contains("Cannot cut after 'r1'") && skip.contains("used after it") && skip.contains("[a1]")
                && skip.contains("valid cuts: [c1, a1, sum"), skip);
        String param = assertThrows(IllegalArgumentException.class, () -> local(net, "w1").build()).getMessage();
        assertTrue(param.contains("'w1' is a variable, not an activation"), param);
        String unknown = assertThrows(IllegalArgumentException.class, () -> local(net, "nope").build()).getMessage();
        assertTrue(unknown.contains("the graph has no variable 'nope'"), unknown);
        String side = assertThrows(IllegalArgumentException.class, () -> local(net, "probs").build()).getMessage();
        assertTrue(side.contains("the output 'logits' does not depend on 'probs'"), side);
        String last = assertThrows(IllegalArgumentException.class, () -> local(net, "logits").build()).getMessage();
        assertTrue(last.contains("it is the last unit"), last);
        String order = assertThrows(IllegalArgumentException.class, () -> local(net, "block", "a1").build())
                .getMessage();
        assertTrue(order.contains("in network order"), order);

        SameDiffNetwork shared = network(userGraph(true, false));
        assertEquals(List.of("c1", "a1", "c4", "a2", "pooled", "mm", "logits"), shared.getUnitNames(),
                "w3 is read before and after sum and block (c4, its second reader, closes the span)");
        String w3 = assertThrows(IllegalArgumentException.class, () -> local(shared, "block").build()).getMessage();
        assertTrue(w3.contains("[w3]"), w3);
    }

    @Test
    void badGraphsAreRefusedWithTheFix() {
        SameDiff g = userGraph(false, false);
        String noOut = assertThrows(IllegalArgumentException.class,
                () -> SameDiffNetwork.fromGraph(g).input("image").build()).getMessage();
        assertTrue(noOut.contains(".output("), noOut);
        String twoPh = assertThrows(IllegalArgumentException.class,
                () -> SameDiffNetwork.fromGraph(g).output("logits").build()).getMessage();
        assertTrue(twoPh.contains("Name the image placeholder") && twoPh.contains("image")
                && twoPh.contains("label"), twoPh);
        assertEquals(List.of("c1", "a1", "sum", "block", "c4", "a2", "pooled", "mm", "logits"),
                SameDiffNetwork.fromGraph(g).output("logits").loss("xent", "label").build().getUnitNames(),
                "with the labels named, the image is the only other placeholder");
        String notPh = assertThrows(IllegalArgumentException.class,
                () -> SameDiffNetwork.fromGraph(g).input("w1").output("logits").build()).getMessage();
        assertTrue(notPh.contains("'w1' is not a placeholder") && notPh.contains("image"), notPh);
        String badOut = assertThrows(IllegalArgumentException.class,
                () -> SameDiffNetwork.fromGraph(g).input("image").output("wf").build()).getMessage();
        assertTrue(badOut.contains("'wf' is not an activation"), badOut);
        String badLabels = assertThrows(IllegalArgumentException.class, () -> SameDiffNetwork.fromGraph(g)
                .input("image").output("logits").loss("xent", "wf").build()).getMessage();
        assertTrue(badLabels.contains("The labels 'wf' are not a placeholder"), badLabels);

        SameDiff leaky = userGraph(false, false);
        leaky.math.add("leak", leaky.getVariable("xent"), leaky.mean(leaky.getVariable("a2")).mul(0.1));
        String reads = assertThrows(IllegalArgumentException.class, () -> SameDiffNetwork.fromGraph(leaky)
                .input("image").output("logits").loss("leak", "label").build()).getMessage();
        assertTrue(reads.contains("also reads [a2]"), reads);

        SameDiff reserved = userGraph(false, false);
        reserved.renameVariable("a2", "labels");
        String name = assertThrows(IllegalArgumentException.class, () -> network(reserved)).getMessage();
        assertTrue(name.contains("uses the name 'labels'") && name.contains("renameVariable"), name);

        SameDiff flag = SameDiff.create();
        SDVariable im = flag.placeHolder("image", DT, -1, 1, 8, 8);
        SDVariable scale = flag.placeHolder("scale", DT);
        flag.mean("out", im.mul(scale), 2, 3);
        String extra = assertThrows(IllegalArgumentException.class,
                () -> SameDiffNetwork.fromGraph(flag).input("image").output("out").build()).getMessage();
        assertTrue(extra.contains("reads the placeholder 'scale' besides the input 'image'"), extra);

        SameDiff flat = SameDiff.create();
        SDVariable x = flat.placeHolder("x", DT, -1, 64);
        flat.mmul("out", x, flat.var("w", Nd4j.rand(DT, 64, 3)));
        String shape = assertThrows(IllegalArgumentException.class,
                () -> SameDiffNetwork.fromGraph(flat).output("out").build()).getMessage();
        assertTrue(shape.contains("[N, C, H, W]") && shape.contains(".inputShape(C, H, W)"), shape);
    }

    @Test
    void untrainedModulesComputeTheGraphAndExportIt(@TempDir Path tmp) throws Exception {
        SameDiff g = userGraph(false, false);
        INDArray x = batch(5, 1).getFeatures();
        INDArray expected = g.output(Map.of("image", x), "probs").get("probs");
        SameDiffLocalModel m = local(network(g), "a1", "block").build();
        assertEquals(3, m.getTrainers().size());
        INDArray chain = m.output(x);
        assertEquals(0.0, Transforms.abs(chain.sub(expected)).maxNumber().doubleValue(), 1e-12);
        SameDiff plain = m.toSameDiff();
        File f = tmp.resolve("plain.fb").toFile();
        plain.save(f, true);
        INDArray exported = SameDiff.load(f, true).output(Map.of(SameDiffNetwork.INPUT, x), SameDiffNetwork.PREDICTION)
                .get(SameDiffNetwork.PREDICTION);
        assertEquals(0.0, Transforms.abs(exported.sub(expected)).maxNumber().doubleValue(), 1e-12);

        SameDiffLocalModel withProbs = local(SameDiffNetwork.fromGraph(g).input("image").output("logits")
                .prediction("probs").build(), "a1").build();
        assertEquals(0.0, Transforms.abs(withProbs.output(x).sub(expected)).maxNumber().doubleValue(), 1e-12,
                "the graph's own prediction ops");
        assertEquals(0.0, Transforms.abs(expected.sub(userGraph(false, false).output(Map.of("image", x), "probs")
                .get("probs"))).maxNumber().doubleValue(), 0.0, "the user's graph is not changed");
    }

    @Test
    void graphsOwnLossEqualsTheDefaultLossOnTheseLogits() {
        DataSet b = batch(6, 2);
        double[] scores = new double[2];
        Map<?, ?>[] grads = new Map[2];
        for (int i = 0; i < 2; i++) {
            SameDiffGraphImport.Builder nb = SameDiffNetwork.fromGraph(userGraph(false, false)).input("image")
                    .output("logits");
            SameDiffNetwork net = (i == 0 ? nb : nb.loss("xent", "label")).build();
            SameDiffModuleTrainer last = local(net).build().getTrainers().get(0); // K = 1: the network's own loss
            ModuleStepResult r = last.computeGradient(new INDArray[]{b.getFeatures()}, new INDArray[]{b.getLabels()},
                    0, 0);
            scores[i] = r.getScore();
            grads[i] = Map.copyOf(last.getGradients());
        }
        assertTrue(scores[0] > 0.5, "a real cross-entropy: " + scores[0]);
        assertEquals(scores[0], scores[1], 1e-12);
        assertEquals(grads[0].keySet(), grads[1].keySet());
        for (Object k : grads[0].keySet()) {
            INDArray a = (INDArray) grads[0].get(k);
            INDArray c = (INDArray) grads[1].get(k);
            assertEquals(0.0, Transforms.abs(a.sub(c)).maxNumber().doubleValue(), 1e-12, "gradient of " + k);
        }
    }

    @Test
    void graphLoadedFromAFileTrainsLocally(@TempDir Path tmp) throws Exception {
        File f = tmp.resolve("user.fb").toFile();
        userGraph(false, false).save(f, true);
        SameDiffNetwork net = SameDiffNetwork.fromGraph(SameDiff.load(f, true)).input("image").output("logits")
                .loss("xent", "label").build();
        DataSet b = batch(12, 4);
        // End to end (K = 1) through the copied ops: the loss falls on a repeated batch.
        SameDiffLocalModel e2e = local(net).build();
        double first = e2e.fit(b)[0];
        double last = first;
        for (int i = 0; i < 6; i++) {
            last = e2e.fit(b)[0];
        }
        assertTrue(last < first - 0.01, "end-to-end loss " + first + " -> " + last);
        // K = 3: the local losses fall, and every module's backbone parameters move.
        SameDiffLocalModel m = local(net, "a1", "block").build();
        Map<String, INDArray> before = new java.util.HashMap<>();
        m.stateArrays().forEach((k, v) -> before.put(k, v.dup()));
        double[] firstK = m.fit(b);
        double[] lastK = firstK;
        for (int i = 0; i < 6; i++) {
            lastK = m.fit(b);
        }
        assertEquals(3, firstK.length);
        for (int k = 0; k < 2; k++) {
            assertTrue(lastK[k] < firstK[k], "local module " + (k + 1) + ": " + firstK[k] + " -> " + lastK[k]);
        }
        for (String p : List.of("w1", "b1", "w2", "w3", "w4", "wf", "bf")) {
            assertTrue(Transforms.abs(m.stateArrays().get(p).sub(before.get(p))).maxNumber().doubleValue() > 0,
                    p + " was trained");
        }
    }

    /**
     * SameDiff's batchnorm op has no working gradient in M2.1 (its gradient function loses the op's axis), so the
     * copies write it out: the same forward values, and gradients that pass a finite-difference check in double.
     */
    @Test
    void batchNormOpsTrainWrittenOut() {
        SameDiff g = userGraph(false, true);
        SameDiffNetwork net = network(g);
        assertEquals(List.of("c1", "bn1", "a1", "sum", "block", "c4", "a2", "pooled", "mm", "logits"),
                net.getUnitNames());
        DataSet b = batch(4, 6);
        INDArray expected = g.output(Map.of("image", b.getFeatures()), "probs").get("probs");
        SameDiffLocalModel m = local(net, "a1").build();
        assertEquals(0.0, Transforms.abs(m.output(b.getFeatures()).sub(expected)).maxNumber().doubleValue(), 1e-12);
        for (SameDiffModuleTrainer t : m.getTrainers()) {
            assertTrue(t.getGraphs().getTraining().getOps().values().stream()
                    .noneMatch(o -> o.getOp() instanceof org.nd4j.linalg.api.ops.impl.layers.convolution.BatchNorm));
        }
        // Central differences of the end-to-end loss (K = 1) against its gradient, through the written-out op.
        SameDiffLocalModel e2e = local(net).build();
        SameDiffModuleTrainer t = e2e.getTrainers().get(0);
        INDArray[] in = {b.getFeatures()};
        INDArray[] labels = {b.getLabels()};
        t.computeGradient(in, labels, 0, 0);
        Map<String, INDArray> grads = new java.util.HashMap<>();
        t.getGradients().forEach((k, v) -> grads.put(k, v.dup()));
        for (String p : List.of("bn1_g", "bn1_b", "w1")) {
            INDArray w = e2e.stateArrays().get(p).reshape(-1);
            for (int i = 0; i < 4; i++) {
                double w0 = w.getDouble(i);
                w.putScalar(i, w0 + 1e-6);
                double up = t.computeGradient(in, labels, 0, 0).getScore();
                w.putScalar(i, w0 - 1e-6);
                double down = t.computeGradient(in, labels, 0, 0).getScore();
                w.putScalar(i, w0);
                double numeric = (up - down) / 2e-6;
                double analytic = grads.get(p).reshape(-1).getDouble(i);
                assertEquals(numeric, analytic, 1e-7 + 1e-5 * Math.abs(numeric), p + "[" + i + "]");
            }
        }
        assertTrue(local(net, "a1").build().fit(b)[0] > 0, "a local step runs");
    }

    @Test
    void defaultLambdasFollowBatchNormAsOnTheDl4jPath() {
        double[] plain = local(network(userGraph(false, false)), "a1").build().getTrainers().get(0).getSpec()
                .getLambdas();
        double[] ref = LambdaSchedule.referenceDefault(2).lambdas(0, 1);
        assertArrayEquals(new double[]{ref[0] / (ref[0] + ref[1]), ref[1] / (ref[0] + ref[1])}, plain, 1e-15,
                "no batch norm in module 1: the reference pair scaled to sum 1");
        double[] bn = local(network(userGraph(false, true)), "a1").build().getTrainers().get(0).getSpec()
                .getLambdas();
        assertArrayEquals(ref, bn, 0.0, "SameDiff's batchnorm op in module 1: the reference pair");
    }
}
