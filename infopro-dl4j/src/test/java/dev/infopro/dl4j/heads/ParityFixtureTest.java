package dev.infopro.dl4j.heads;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

import java.io.File;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Module 1 of the PyTorch parity fixture (../shared/parity/resnet8-k2-infopro-contrast): stem + one BasicBlock, with
 * this library's decoder (lambda 5) and 1c2f SupCon head (lambda 1). The local loss and every gradient of module 1
 * must match the independent PyTorch implementation.
 */
class ParityFixtureTest {
    private static final File DIR = new File("../../shared/parity/resnet8-k2-infopro-contrast/npy");

    @BeforeAll
    static void doublePrecision() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    private static INDArray npy(String name) {
        return Nd4j.createFromNpyFile(new File(DIR, name + ".npy")).castTo(DataType.DOUBLE);
    }

    @Test
    void moduleOneLocalLossAndGradientsMatchPyTorch() {
        assumeTrue(DIR.isDirectory(), "parity fixture not present at " + DIR.getAbsolutePath());
        HeadContext ctx = HeadContext.builder().numClasses(10).imageChannels(1).imageHeight(28).imageWidth(28).build();
        InputType hType = InputType.convolutional(28, 28, 16);
        ComputationGraphConfiguration.GraphBuilder gb = new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE).updater(new NoOp())
                .graphBuilder().addInputs("x").setInputTypes(InputType.convolutional(28, 28, 1))
                .addLayer("stem_conv", HeadLayers.conv3x3(1, 16, 1, false), "x")
                .addLayer("stem_bn", HeadLayers.batchNorm(16), "stem_conv")
                .addLayer("stem_relu", new ActivationLayer(Activation.RELU), "stem_bn")
                .addLayer("b1_conv1", HeadLayers.conv3x3(16, 16, 1, false), "stem_relu")
                .addLayer("b1_bn1", HeadLayers.batchNorm(16), "b1_conv1")
                .addLayer("b1_relu1", new ActivationLayer(Activation.RELU), "b1_bn1")
                .addLayer("b1_conv2", HeadLayers.conv3x3(16, 16, 1, false), "b1_relu1")
                .addLayer("b1_bn2", HeadLayers.batchNorm(16), "b1_conv2")
                .addVertex("b1_add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "b1_bn2", "stem_relu")
                .addLayer("h1", new ActivationLayer(Activation.RELU), "b1_add");
        String dec = new ReconstructionHead().attach(gb, "h1", hType, "dec_", 5.0, ctx);
        String aux = new AuxClassifierHead().attach(gb, "h1", hType, "aux_", 1.0, ctx);
        gb.setOutputs(dec, aux);
        ComputationGraph net = new ComputationGraph(gb.build());
        net.init();

        // PyTorch name -> DL4J parameter key; "T" marks linear weights ([out,in] in PyTorch, [in,out] in DL4J).
        Map<String, String> map = new LinkedHashMap<>();
        map.put("backbone.units.0.conv.weight", "stem_conv_W");
        map.put("backbone.units.0.bn.weight", "stem_bn_gamma");
        map.put("backbone.units.0.bn.bias", "stem_bn_beta");
        for (String k : new String[]{"1", "2"}) {
            map.put("backbone.units.1.conv" + k + ".weight", "b1_conv" + k + "_W");
            map.put("backbone.units.1.bn" + k + ".weight", "b1_bn" + k + "_gamma");
            map.put("backbone.units.1.bn" + k + ".bias", "b1_bn" + k + "_beta");
        }
        for (String k : new String[]{"1", "2"}) {
            map.put("aux.0.decoder.conv" + k + ".weight", "dec_conv" + k + "_W");
            map.put("aux.0.decoder.conv" + k + ".bias", "dec_conv" + k + "_b");
        }
        map.put("aux.0.decoder.bn.weight", "dec_bn_gamma");
        map.put("aux.0.decoder.bn.bias", "dec_bn_beta");
        map.put("aux.0.head.conv.weight", "aux_conv1_W");
        map.put("aux.0.head.bn.weight", "aux_bn1_gamma");
        map.put("aux.0.head.bn.bias", "aux_bn1_beta");
        map.put("aux.0.head.fc1.weight", "T:aux_fc1_W");
        map.put("aux.0.head.fc1.bias", "aux_fc1_b");
        map.put("aux.0.head.fc2.weight", "T:aux_out_W");
        map.put("aux.0.head.fc2.bias", "aux_out_b");
        for (Map.Entry<String, String> e : map.entrySet()) {
            String key = e.getValue().replace("T:", "");
            INDArray v = npy("init." + e.getKey());
            if (e.getValue().startsWith("T:")) {
                v = v.transpose();
            }
            INDArray p = net.getParam(key);
            assertEquals(p.length(), v.length(), key);
            p.assign(v.dup('c').reshape(p.shape()));
        }

        INDArray x = npy("x");
        INDArray x01 = npy("x01");
        INDArray cls = npy("y");
        int n = (int) x.size(0);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, n, 10);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, cls.getInt(i), 1.0);
        }
        net.setInputs(x);
        net.setLabels(x01, y);
        net.computeGradientAndScore();
        assertEquals(17.406202164375905, net.score(), 1e-8 * 17.4);
        Map<String, INDArray> grads = net.gradient().gradientForVariable();
        for (Map.Entry<String, String> e : map.entrySet()) {
            String key = e.getValue().replace("T:", "");
            INDArray expected = npy("grad." + e.getKey());
            if (e.getValue().startsWith("T:")) {
                expected = expected.transpose();
            }
            INDArray g = grads.get(key).div(n).reshape(expected.shape());
            assertArrayEquals(expected.shape(), g.shape());
            double diff = g.sub(expected).amaxNumber().doubleValue();
            double scale = expected.amaxNumber().doubleValue();
            // Absolute floor: a conv bias before batch norm has an exactly-zero gradient (only rounding noise, ~1e-13).
            assertTrue(diff <= 1e-6 * scale + 1e-10, e.getKey() + ": max abs diff " + diff + " vs max |grad| " + scale);
        }
    }
}
