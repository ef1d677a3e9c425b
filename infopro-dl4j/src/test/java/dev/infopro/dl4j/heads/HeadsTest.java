package dev.infopro.dl4j.heads;

import dev.infopro.dl4j.init.TorchBiasInit;
import dev.infopro.dl4j.layers.BilinearUpsampling2D;
import dev.infopro.dl4j.losses.LossBinaryCrossEntropy;
import dev.infopro.dl4j.losses.LossSupCon;
import dev.infopro.dl4j.losses.ScaledLoss;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.util.FeatureUtil;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HeadsTest {

    @BeforeAll
    static void doublePrecision() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    /** A graph whose input is h itself, with one head attached. */
    static ComputationGraph headOnly(AuxiliaryHead head, InputType hType, double weight, HeadContext ctx) {
        ComputationGraphConfiguration.GraphBuilder gb = new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE).seed(12345).updater(new NoOp())
                .graphBuilder().addInputs("h").setInputTypes(hType);
        String out = head.attach(gb, "h", hType, "aux_", weight, ctx);
        gb.setOutputs(out);
        ComputationGraph net = new ComputationGraph(gb.build());
        net.init();
        TorchBiasInit.apply(net, head.torchBiasLayers("aux_"));
        return net;
    }

    /** Batch-norm running statistics are updated by DL4J through the "gradient" slot; they are not trained. */
    static java.util.Set<String> runningStats(ComputationGraph net) {
        java.util.Set<String> names = new java.util.HashSet<>();
        for (String k : net.paramTable().keySet()) {
            if (k.endsWith("_mean") || k.endsWith("_var") || k.endsWith("_log10stdev")) {
                names.add(k);
            }
        }
        return names;
    }

    static boolean gradCheck(ComputationGraph net, INDArray x, INDArray y) {
        return GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                .inputs(new INDArray[]{x}).labels(new INDArray[]{y})
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-8)
                .subset(true).maxPerParam(40).excludeParams(runningStats(net)));
    }

    @Test
    void reconstructionScoreIsLambdaTimesMeanBce() {
        HeadContext ctx = HeadContext.builder().numClasses(10).imageChannels(2).imageHeight(5).imageWidth(6).build();
        ComputationGraph net = headOnly(new ReconstructionHead(), InputType.convolutional(3, 3, 4), 5.0, ctx);
        Nd4j.getRandom().setSeed(1);
        INDArray h = Nd4j.randn(DataType.DOUBLE, 3, 4, 3, 3);
        INDArray x01 = Nd4j.rand(DataType.DOUBLE, 3, 2, 5, 6);
        Map<String, INDArray> acts = net.feedForward(new INDArray[]{h}, true, false);
        INDArray p = acts.get("aux_out");
        assertArrayEquals(new long[]{3, 2, 5, 6}, p.shape());
        double[] pp = p.dup().data().asDouble(), yy = x01.dup().data().asDouble();
        double sum = 0;
        for (int i = 0; i < pp.length; i++) {
            sum += -(yy[i] * Math.max(Math.log(pp[i]), -100) + (1 - yy[i]) * Math.max(Math.log(1 - pp[i]), -100));
        }
        net.setInputs(h);
        net.setLabels(x01);
        net.computeGradientAndScore();
        assertEquals(5.0 * sum / pp.length, net.score(), 1e-10);
        // The decoder's layers: hidden 12 channels with bias, 2 output channels.
        assertArrayEquals(new long[]{12, 4, 3, 3}, net.getLayer("aux_conv1").getParam("W").shape());
        assertArrayEquals(new long[]{2, 12, 3, 3}, net.getLayer("aux_conv2").getParam("W").shape());
        assertNotEquals(0.0, net.getLayer("aux_conv1").getParam("b").amaxNumber().doubleValue());
        assertInstanceOf(BilinearUpsampling2D.class, net.getLayer("aux_up").conf().getLayer());
    }

    @Test
    void reconstructionHeadGradientCheck() {
        HeadContext ctx = HeadContext.builder().numClasses(3).imageChannels(2).imageHeight(5).imageWidth(4).build();
        ComputationGraph net = headOnly(new ReconstructionHead(0.5), InputType.convolutional(3, 2, 3), 2.0, ctx);
        Nd4j.getRandom().setSeed(2);
        INDArray h = Nd4j.randn(DataType.DOUBLE, 3, 3, 3, 2);
        INDArray x01 = Nd4j.rand(DataType.DOUBLE, 3, 2, 5, 4);
        assertTrue(gradCheck(net, h, x01));
    }

    @Test
    void everyClassifierConfigPassesGradientCheckWithSoftmax() {
        HeadContext ctx = HeadContext.builder().numClasses(3).imageChannels(1).imageHeight(8).imageWidth(8).build();
        int[] cls = {0, 2, 1, 2};
        INDArray y = FeatureUtil.toOutcomeMatrix(cls, 3);
        for (AuxNetConfig cfg : AuxNetConfig.values()) {
            AuxClassifierHead head = new AuxClassifierHead(cfg, HeadLoss.SOFTMAX, 0.125, 128, 0.07);
            ComputationGraph net = headOnly(head, InputType.convolutional(5, 5, 4), 0.7, ctx);
            Nd4j.getRandom().setSeed(3);
            INDArray h = Nd4j.randn(DataType.DOUBLE, 4, 4, 5, 5);
            assertTrue(gradCheck(net, h, y), cfg.code());
            OutputLayer out = (OutputLayer) net.getLayer("aux_out").conf().getLayer();
            assertEquals(new ScaledLoss(new org.nd4j.linalg.lossfunctions.impl.LossMCXENT(0.0, null), 0.7), out.getLossFn());
            assertEquals(3, out.getNOut());
        }
    }

    @Test
    void contrastHeadPassesGradientCheckWithSupCon() {
        HeadContext ctx = HeadContext.builder().numClasses(3).imageChannels(1).imageHeight(8).imageWidth(8).build();
        AuxClassifierHead head = new AuxClassifierHead(AuxNetConfig.C1F2, HeadLoss.CONTRAST, 0.125, 6, 0.5);
        ComputationGraph net = headOnly(head, InputType.convolutional(5, 5, 4), 1.3, ctx);
        Nd4j.getRandom().setSeed(4);
        INDArray h = Nd4j.randn(DataType.DOUBLE, 5, 4, 5, 5);
        INDArray y = FeatureUtil.toOutcomeMatrix(new int[]{0, 1, 0, 2, 1}, 3);
        assertTrue(gradCheck(net, h, y));
        assertEquals(new LossSupCon(0.5, 1.3), ((OutputLayer) net.getLayer("aux_out").conf().getLayer()).getLossFn());
    }

    @Test
    void referenceLayerShapesAndStrideRule() {
        HeadContext ctx = HeadContext.builder().numClasses(10).imageChannels(1).imageHeight(28).imageWidth(28).build();
        long[][] expect = {{16, 32, 2}, {32, 64, 2}, {64, 64, 1}};
        for (long[] e : expect) {
            ComputationGraphConfiguration.GraphBuilder gb = new NeuralNetConfiguration.Builder().graphBuilder()
                    .addInputs("h").setInputTypes(InputType.convolutional(28, 28, e[0]));
            new AuxClassifierHead().attach(gb, "h", InputType.convolutional(28, 28, e[0]), "p_", 1.0, ctx);
            gb.setOutputs("p_out");
            ComputationGraphConfiguration conf = gb.build();
            ConvolutionLayer conv = (ConvolutionLayer) ((org.deeplearning4j.nn.conf.graph.LayerVertex)
                    conf.getVertices().get("p_conv1")).getLayerConf().getLayer();
            assertEquals(e[0], conv.getNIn());
            assertEquals(e[1], conv.getNOut());
            assertArrayEquals(new int[]{(int) e[2], (int) e[2]}, conv.getStride());
            assertArrayEquals(new int[]{1, 1}, conv.getPadding());
            assertTrue(!conv.hasBias());
            org.deeplearning4j.nn.conf.layers.DenseLayer fc1 = (org.deeplearning4j.nn.conf.layers.DenseLayer)
                    ((org.deeplearning4j.nn.conf.graph.LayerVertex) conf.getVertices().get("p_fc1")).getLayerConf().getLayer();
            assertEquals(e[1], fc1.getNIn());
            assertEquals(128, fc1.getNOut());
            OutputLayer out = (OutputLayer) ((org.deeplearning4j.nn.conf.graph.LayerVertex)
                    conf.getVertices().get("p_out")).getLayerConf().getLayer();
            assertEquals(128, out.getNOut());
        }
        AuxClassifierHead twoConv = new AuxClassifierHead(AuxNetConfig.C2F2, HeadLoss.SOFTMAX);
        assertArrayEquals(new long[][]{{32, 2}, {64, 2}}, twoConv.convPlan(16));
        assertArrayEquals(new long[][]{{64, 2}, {64, 1}}, twoConv.convPlan(32));
        assertArrayEquals(new long[][]{{128, 1}, {128, 1}},
                new AuxClassifierHead(AuxNetConfig.C2F2, HeadLoss.SOFTMAX, 2.0, 128, 0.07).convPlan(64));
        assertEquals(java.util.Set.of("p_fc1", "p_fc2", "p_out"),
                new AuxClassifierHead(AuxNetConfig.C1F3, HeadLoss.SOFTMAX).torchBiasLayers("p_"));
        assertEquals(java.util.Set.of("p_out"), new AuxClassifierHead(AuxNetConfig.C0F1, HeadLoss.SOFTMAX).torchBiasLayers("p_"));
        assertEquals(AuxNetConfig.C1F2, AuxNetConfig.fromCode("1c2f"));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> AuxNetConfig.fromCode("3c3f"));
        assertTrue(ex.getMessage().contains("0c1f"), ex.getMessage());
    }

    @Test
    void badInputsGiveClearErrors() {
        HeadContext ctx = HeadContext.builder().numClasses(10).imageChannels(3).imageHeight(32).imageWidth(32).build();
        ComputationGraphConfiguration.GraphBuilder gb = new NeuralNetConfiguration.Builder().graphBuilder().addInputs("h");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ReconstructionHead()
                .attach(gb, "h", InputType.feedForward(64), "r_", 1.0, ctx));
        assertTrue(e.getMessage().contains("needs a convolutional feature map"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new AuxClassifierHead()
                .attach(gb, "h", InputType.feedForward(64), "a_", 1.0, ctx));
        assertTrue(e.getMessage().contains("convolutional"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new AuxClassifierHead(AuxNetConfig.C1F2, HeadLoss.CONTRAST, 1.0, 128, 0.0));
        assertTrue(e.getMessage().contains("temperature"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ReconstructionHead(0.01));
        assertTrue(e.getMessage().contains("widen"), e.getMessage());
        HeadContext noImage = HeadContext.builder().numClasses(10).build();
        e = assertThrows(IllegalArgumentException.class, () -> new ReconstructionHead()
                .attach(gb, "h", InputType.convolutional(8, 8, 16), "r_", 1.0, noImage));
        assertTrue(e.getMessage().contains("image shape"), e.getMessage());
    }

    /** An ordinary graph: conv stem -> h, with decoder, SupCon head and a main classifier; fit lowers the score. */
    static ComputationGraphConfiguration userGraph() {
        HeadContext ctx = HeadContext.builder().numClasses(3).imageChannels(1).imageHeight(8).imageWidth(8).build();
        InputType hType = InputType.convolutional(4, 4, 4);
        ComputationGraphConfiguration.GraphBuilder gb = new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE).seed(7).updater(new Adam(0.01)).weightInit(WeightInit.RELU)
                .graphBuilder().addInputs("x").setInputTypes(InputType.convolutional(8, 8, 1))
                .addLayer("stem", new ConvolutionLayer.Builder(3, 3).stride(2, 2).padding(1, 1).nOut(4)
                        .convolutionMode(ConvolutionMode.Truncate).activation(Activation.RELU).build(), "x");
        String rec = new ReconstructionHead().attach(gb, "stem", hType, "dec_", 5.0, ctx);
        String con = new AuxClassifierHead(AuxNetConfig.C1F2, HeadLoss.CONTRAST, 0.25, 16, 0.07)
                .attach(gb, "stem", hType, "aux_", 1.0, ctx);
        gb.addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "stem")
                .addLayer("fc", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "gap")
                .setOutputs(rec, con, "fc");
        return gb.build();
    }

    @Test
    void userGraphWithReconstructionAndSupConFits() throws Exception {
        ComputationGraph net = new ComputationGraph(userGraph());
        net.init();
        Nd4j.getRandom().setSeed(8);
        INDArray x01 = Nd4j.rand(DataType.DOUBLE, 8, 1, 8, 8);
        INDArray y = FeatureUtil.toOutcomeMatrix(new int[]{0, 1, 2, 0, 1, 2, 0, 1}, 3);
        INDArray[] labels = {x01, y, y};
        net.setInputs(x01);
        net.setLabels(labels);
        net.computeGradientAndScore();
        double first = net.score();
        for (int i = 0; i < 15; i++) {
            net.fit(new INDArray[]{x01}, labels);
        }
        net.setInputs(x01);
        net.setLabels(labels);
        net.computeGradientAndScore();
        assertTrue(net.score() < first, "score should decrease: " + first + " -> " + net.score());
        // JSON and ModelSerializer round trips keep the heads' layers and losses.
        ComputationGraphConfiguration conf = net.getConfiguration();
        assertEquals(conf, ComputationGraphConfiguration.fromJson(conf.toJson()));
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        ModelSerializer.writeModel(net, bos, true);
        ComputationGraph back = ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(bos.toByteArray()), true);
        assertEquals(net.params(), back.params());
        assertEquals(new LossBinaryCrossEntropy(5.0, 64),
                ((org.deeplearning4j.nn.conf.layers.CnnLossLayer) back.getLayer("dec_out").conf().getLayer()).getLossFn());
        INDArray[] o1 = net.output(false, x01);
        INDArray[] o2 = back.output(false, x01);
        for (int i = 0; i < o1.length; i++) {
            assertEquals(o1[i], o2[i]);
        }
    }

    @Test
    void headsRoundTripThroughJson() throws Exception {
        org.nd4j.shade.jackson.databind.ObjectMapper mapper = NeuralNetConfiguration.mapper();
        for (AuxiliaryHead head : new AuxiliaryHead[]{new ReconstructionHead(2.0), new AuxClassifierHead(),
                new AuxClassifierHead(AuxNetConfig.C2F2, HeadLoss.SOFTMAX, 0.5, 64, 0.1)}) {
            String json = mapper.writeValueAsString(head);
            assertEquals(head, mapper.readValue(json, AuxiliaryHead.class), json);
        }
    }
}
