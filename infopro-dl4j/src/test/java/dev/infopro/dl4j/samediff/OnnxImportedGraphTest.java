package dev.infopro.dl4j.samediff;

import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.optim.TorchSgd;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.samediff.frameworkimport.onnx.importer.OnnxFrameworkImporter;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

import java.io.File;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A graph imported from another framework: a small CNN written in PyTorch (conv, a residual block, a stride-2 conv,
 * global average pooling, a linear classifier), exported to ONNX by {@code src/test/resources/onnx/make_small_cnn.py}
 * and imported with ND4J's own ONNX importer, then cut by the importer's variable names and trained with InfoPro.
 *
 * <p>The imported graph computes PyTorch's logits (an independent implementation, values saved by the script); the
 * untrained module chain and its export compute the imported graph; local training lowers the local losses.
 *
 * <p>ND4J 1.0.0-M2.1's importer gets both ONNX forms of a linear layer wrong: {@code Gemm} (what PyTorch's
 * {@code nn.Linear} on [N, features] exports) becomes a {@code matmul} op that ignores the bias C and has no gradient
 * (its backprop wants exactly two inputs), and {@code MatMul} becomes a {@code matmul} with alpha 0, which computes
 * zeros. So the model's classifier is exported as a 1x1 conv on the pooled map ({@code small_cnn_conv.onnx}: imported
 * correctly, trained as it is); the Gemm and MatMul exports of the same weights show the importer's faults and their
 * repair with SameDiff's own {@code mmul} + {@code add} after import.
 *
 * <p>It runs in a JVM of its own (the {@code onnx-import} execution of infopro-dl4j's pom): in the full suite's
 * shared JVM the native heap was found corrupted twice (glibc "corrupted size vs. prev_size" at exit, "free(): invalid
 * pointer" during this class's first training step) after its imported ops had run; alone it passed every time.
 */
class OnnxImportedGraphTest {
    private static final String REF = "/onnx/small_cnn_ref.json";
    /** The importer's names: the ONNX graph's input and output names, and its nodes' output names. */
    private static final String IN = "x";
    private static final String LOGITS = "logits";
    private static final String STEM = "/Relu_output_0";      // relu(stem conv): the residual block's input and skip
    private static final String BLOCK = "/Relu_2_output_0";   // relu(skip + res2 conv): the block's output
    private static final String DOWN = "/Relu_3_output_0";    // relu(stride-2 conv)
    private static final String FLAT = "/Flatten_output_0";   // Gemm and MatMul exports: [N, 16] into the classifier

    /** The graphs as imported (weights are constants); tests work on copies. */
    private static SameDiff convGraph;
    private static SameDiff gemmGraph;
    private static SameDiff matmulGraph;
    private static INDArray refInput;
    private static INDArray refLogits;

    @BeforeAll
    static void importOnce() throws Exception {
        long t0 = System.nanoTime();
        convGraph = importOnnx("/onnx/small_cnn_conv.onnx");
        long t1 = System.nanoTime();
        gemmGraph = importOnnx("/onnx/small_cnn.onnx");
        matmulGraph = importOnnx("/onnx/small_cnn_matmul.onnx");
        System.out.printf("ONNX import: %.1f s (the first, with the importer's start-up), %.1f s (two more)%n",
                (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9);
        JsonNode ref = new ObjectMapper().readTree(OnnxImportedGraphTest.class.getResourceAsStream(REF));
        refInput = array(ref.get("inputShape"), ref.get("input"));
        refLogits = array(ref.get("logitsShape"), ref.get("logits"));
    }

    private static SameDiff importOnnx(String resource) throws Exception {
        File f = new File(OnnxImportedGraphTest.class.getResource(resource).toURI());
        PrintStream out = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream())); // the importer prints the whole graph
        try {
            return new OnnxFrameworkImporter().runImport(f.getAbsolutePath(), Map.of(), false);
        } finally {
            System.setOut(out);
        }
    }

    /** The float constants of an imported graph: PyTorch's weights and biases (the rest are int shape constants). */
    private static List<String> weights(SameDiff g) {
        List<String> w = new ArrayList<>();
        for (SDVariable v : g.variables()) {
            if (v.getVariableType() == VariableType.CONSTANT && v.dataType() == DataType.FLOAT) {
                w.add(v.name());
            }
        }
        return w;
    }

    /** A copy of an imported graph with PyTorch's weights and biases made trainable. */
    private static SameDiff trainable(SameDiff imported) {
        SameDiff g = imported.dup();
        List<SDVariable> vars = new ArrayList<>();
        for (String w : weights(g)) {
            vars.add(g.getVariable(w));
        }
        g.convertToVariables(vars);
        return g;
    }

    private static SameDiffNetwork network(SameDiff g, String output) {
        return SameDiffNetwork.fromGraph(g).input(IN).output(output).build();
    }

    private static SameDiffLocalModel.Builder local(SameDiffNetwork net, String... cuts) {
        return SameDiffLocalModel.builder(net).cutAfter(cuts).method(LocalLearning.infoProContrast())
                .updater(new TorchSgd(0.05)).weightDecay(1e-4).seed(5);
    }

    private static DataSet batch(int n, long seed) {
        return SyntheticBatch.of(DataType.FLOAT, n, 12, 10, seed);
    }

    private static INDArray logits(SameDiff g, String output, INDArray x) {
        return g.output(Map.of(IN, x), output).get(output);
    }

    private static double maxAbsDiff(INDArray a, INDArray b) {
        assertArrayEquals(a.shape(), b.shape());
        return Transforms.abs(a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE))).maxNumber().doubleValue();
    }

    private static INDArray array(JsonNode shape, JsonNode values) {
        long[] s = new long[shape.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = shape.get(i).asLong();
        }
        float[] v = new float[values.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) values.get(i).asDouble();
        }
        return Nd4j.create(v, s, 'c');
    }

    @Test
    void importedGraphComputesPyTorchsLogits() {
        assertArrayEquals(new long[]{-1, 1, 12, 12}, convGraph.getVariable(IN).getShape(), "dynamic batch axis");
        assertEquals(10, weights(convGraph).size(), "5 weights and 5 biases: " + weights(convGraph));
        for (String w : weights(convGraph)) {
            assertEquals(VariableType.CONSTANT, convGraph.getVariable(w).getVariableType(), w);
        }
        INDArray out = logits(convGraph, LOGITS, refInput);
        assertEquals(DataType.FLOAT, out.dataType());
        double d = maxAbsDiff(out, refLogits);
        System.out.printf("imported vs PyTorch logits: max |diff| = %.2g (logits up to %.2g)%n", d,
                Transforms.abs(refLogits).maxNumber().doubleValue());
        assertTrue(d < 1e-5, "imported graph vs PyTorch: " + d);
    }

    @Test
    void linearLayersAreImportedWrongAndRepairedWithSameDiffOps() {
        // ND4J 1.0.0-M2.1's importer. If this fails after an ND4J upgrade, the importer is fixed: drop the repair
        // below, and small_cnn.onnx (plain nn.Linear) can be used as it is.
        INDArray bias = gemmGraph.getVariable("fc.bias").getArr();
        INDArray gemm = logits(gemmGraph, LOGITS, refInput);
        assertTrue(maxAbsDiff(gemm, refLogits) > 0.01, "Gemm(A, B, C) -> matmul(A, B, C) drops the bias C");
        assertTrue(maxAbsDiff(gemm.addRowVector(bias), refLogits) < 1e-5, "... and nothing else");
        INDArray matmul = logits(matmulGraph, LOGITS, refInput);
        assertTrue(maxAbsDiff(matmul, bias.reshape(1, 10).repeat(0, 4)) < 1e-7,
                "MatMul -> matmul with alpha 0: zeros, so every image's logits are the bias");

        // The repair: the classifier again, with SameDiff's ops, reading the imported graph's [N, 16] features.
        for (SameDiff imported : List.of(gemmGraph, matmulGraph)) {
            SameDiff g = trainable(imported);
            SDVariable fixed = g.math.add("fc_logits", g.mmul(g.getVariable(FLAT), g.getVariable("fc.weight"),
                    false, true, false), g.getVariable("fc.bias"));
            double d = maxAbsDiff(logits(g, fixed.name(), refInput), refLogits);
            System.out.printf("repaired linear layer vs PyTorch logits: max |diff| = %.2g%n", d);
            assertTrue(d < 1e-5, "repaired vs PyTorch: " + d);
            if (imported == gemmGraph) {
                SameDiffNetwork net = network(g, fixed.name());
                assertFalse(net.getUnitNames().contains(LOGITS), "the imported classifier is not on the way");
                SameDiffLocalModel m = local(net, BLOCK).build();
                DataSet b = batch(8, 3);
                double[] first = m.fit(b);
                double[] second = m.fit(b);
                assertTrue(Arrays.stream(second).allMatch(Double::isFinite) && second[1] < first[1],
                        Arrays.toString(first) + " -> " + Arrays.toString(second));
            }
        }
    }

    @Test
    void validCutsSkipTheResidualBlock() {
        SameDiffNetwork net = network(trainable(convGraph), LOGITS);
        List<String> units = net.getUnitNames();
        System.out.println("units of the imported graph: " + units);
        assertTrue(units.containsAll(List.of(STEM, "/Add_output_0", BLOCK, DOWN, "/fc1x1/Conv_output_0", LOGITS)),
                units.toString());
        // Inside the block the skip (STEM) crosses every cut: res1's conv, its relu, res2's conv and the importer's
        // helper ops of both convs (pad, NHWC permutes, conv2d, bias add).
        for (String inside : List.of("/res1/Conv_output_0", "/Relu_1_output_0", "/res2/Conv_output_0", "pad_1",
                "permute_3", "conv2d_1", "add_1", "pad_2", "conv2d_2", "add_2")) {
            assertFalse(units.contains(inside), inside + " is inside the residual block: " + units);
        }
        assertTrue(units.indexOf(STEM) < units.indexOf(BLOCK) && units.indexOf(BLOCK) < units.indexOf(DOWN));
        assertEquals(LOGITS, units.get(units.size() - 1));
        assertArrayEquals(new long[]{1, 12, 12}, net.getInputShape());
        assertEquals(10, net.getNumClasses());
        assertEquals(DataType.FLOAT, net.getDataType());
        assertArrayEquals(new long[]{8, 12, 12}, net.unitShapes().get(BLOCK));
        assertArrayEquals(new long[]{16, 6, 6}, net.unitShapes().get(DOWN));
        // The importer runs each ONNX Conv as pad, permute to NHWC, conv2d, concat, bias add, permute back: those are
        // valid cuts too, but [H, W, C]; cut at the ONNX nodes' outputs ("/..._output_0"), which are [C, H, W].
        assertArrayEquals(new long[]{12, 12, 8}, net.unitShapes().get("conv2d"));
        String why = assertThrows(IllegalArgumentException.class, () -> local(net, "/Relu_1_output_0").build())
                .getMessage();
        assertTrue(why.contains("used after it") && why.contains(STEM), why);
    }

    @Test
    void untrainedModulesComputeTheImportedGraph() {
        INDArray x = batch(6, 1).getFeatures();
        INDArray expected = Transforms.softmax(logits(convGraph, LOGITS, x).dup());
        SameDiffLocalModel m = local(network(trainable(convGraph), LOGITS), BLOCK, DOWN).build();
        assertEquals(3, m.getTrainers().size());
        INDArray chain = m.output(x);
        assertEquals(DataType.FLOAT, chain.dataType());
        double d = maxAbsDiff(chain, expected);
        System.out.printf("module chain vs imported graph softmax: max |diff| = %.2g%n", d);
        assertTrue(d < 1e-6, "chain vs imported graph: " + d);
        INDArray exported = m.toSameDiff().output(Map.of(SameDiffNetwork.INPUT, x), SameDiffNetwork.PREDICTION)
                .get(SameDiffNetwork.PREDICTION);
        assertTrue(maxAbsDiff(exported, chain) < 1e-6, "export vs chain");
    }

    @Test
    void trainsLocallyWithInfoPro() {
        SameDiffLocalModel m = local(network(trainable(convGraph), LOGITS), BLOCK, DOWN).build();
        Map<String, INDArray> before = new HashMap<>();
        m.stateArrays().forEach((k, v) -> before.put(k, v.dup()));
        DataSet b = batch(10, 2);
        long t0 = System.nanoTime();
        double[] first = m.fit(b);
        long t1 = System.nanoTime();
        double[] last = first;
        for (int i = 0; i < 5; i++) {
            last = m.fit(b);
        }
        System.out.printf("fit: %.1f s (first step), %.1f s (5 more)%n", (t1 - t0) / 1e9,
                (System.nanoTime() - t1) / 1e9);
        System.out.println("local losses: " + Arrays.toString(first) + " -> " + Arrays.toString(last));
        assertEquals(3, first.length);
        for (int k = 0; k < 2; k++) { // the InfoPro losses; the last module's input moves while they train
            assertTrue(last[k] < first[k], "local module " + (k + 1) + ": " + first[k] + " -> " + last[k]);
        }
        assertTrue(Double.isFinite(last[2]), "last module: " + last[2]);
        for (String w : weights(convGraph)) {
            assertTrue(maxAbsDiff(m.stateArrays().get(w), before.get(w)) > 0, w + " was trained");
        }
        INDArray x = b.getFeatures();
        INDArray chain = m.output(x);
        INDArray exported = m.toSameDiff().output(Map.of(SameDiffNetwork.INPUT, x), SameDiffNetwork.PREDICTION)
                .get(SameDiffNetwork.PREDICTION);
        assertTrue(maxAbsDiff(exported, chain) < 1e-6, "trained export vs chain");
        assertTrue(maxAbsDiff(chain, Transforms.softmax(logits(convGraph, LOGITS, x).dup())) > 1e-4,
                "training changed the prediction");
    }
}
