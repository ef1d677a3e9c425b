package dev.infopro.dl4j.heads;

import dev.infopro.dl4j.init.TorchBiasInit;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.util.FeatureUtil;
import org.nd4j.linalg.learning.config.NoOp;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.infopro.dl4j.TestArrays.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SameDiff heads and local loss against the DL4J heads: same loss, same gradients for shared weights. */
class SameDiffHeadsTest {

    @BeforeAll
    static void doublePrecision() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }


    @Test
    void wholeLocalLossMatchesTheDl4jHeads() {
        for (HeadLoss mode : HeadLoss.values()) {
            compareLocalLoss(new AuxClassifierHead(AuxNetConfig.C1F2, mode, 0.125, 8, 0.3), 5.0, 1.5);
            compareLocalLoss(new AuxClassifierHead(AuxNetConfig.C2F2, mode, 0.125, 8, 0.3), 2.0, 0.5);
        }
    }

    private void compareLocalLoss(AuxClassifierHead head, double lambda1, double lambda2) {
        int n = 5;
        long c = 4, h = 3, w = 3;
        HeadContext ctx = HeadContext.builder().numClasses(3).imageChannels(2).imageHeight(6).imageWidth(5).build();
        ReconstructionHead dec = new ReconstructionHead(0.5);
        InputType hType = InputType.convolutional(h, w, c);
        ComputationGraphConfiguration.GraphBuilder gb = new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE).seed(3).updater(new NoOp())
                .graphBuilder().addInputs("h").setInputTypes(hType);
        String o1 = dec.attach(gb, "h", hType, "dec_", lambda1, ctx);
        String o2 = head.attach(gb, "h", hType, "aux_", lambda2, ctx);
        gb.setOutputs(o1, o2);
        ComputationGraph net = new ComputationGraph(gb.build());
        net.init();
        TorchBiasInit.apply(net, dec.torchBiasLayers("dec_"));
        TorchBiasInit.apply(net, head.torchBiasLayers("aux_"));

        Nd4j.getRandom().setSeed(31);
        INDArray hArr = Nd4j.randn(DataType.DOUBLE, n, c, h, w);
        INDArray x01 = Nd4j.rand(DataType.DOUBLE, n, 2, 6, 5);
        INDArray y = FeatureUtil.toOutcomeMatrix(new int[]{0, 1, 0, 2, 1}, 3);
        net.setInputs(hArr);
        net.setLabels(x01, y);
        net.computeGradientAndScore();
        double dl4jScore = net.score();
        Map<String, INDArray> dl4jGrads = net.gradient().gradientForVariable();

        SameDiff sd = SameDiff.create();
        SDVariable hv = sd.placeHolder("h", DataType.DOUBLE, -1, c, h, w);
        SDVariable xv = sd.placeHolder("x01", DataType.DOUBLE, -1, 2, 6, 5);
        SDVariable yv = sd.placeHolder("labels", DataType.DOUBLE, -1, 3);
        SDVariable loss = SameDiffHeads.infoPro(sd, hv, xv, yv, lambda1, lambda2, dec, head, c, h, w, ctx, "");
        sd.setLossVariables(loss);
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, INDArray> p : net.paramTable().entrySet()) {
            String k = p.getKey();
            if (k.endsWith("_mean") || k.endsWith("_var")) {
                continue;
            }
            SDVariable v = sd.getVariable(k);
            assertNotNull(v, "SameDiff variable for DL4J parameter " + k);
            v.setArray(p.getValue().dup().reshape(v.getArr().shape()));
            names.add(k);
        }
        assertEquals(names.size(), sd.variables().stream().filter(v -> v.getVariableType()
                == org.nd4j.autodiff.samediff.VariableType.VARIABLE).count(), "every SameDiff variable has a DL4J twin");
        Map<String, INDArray> ph = new HashMap<>();
        ph.put("h", hArr);
        ph.put("x01", x01);
        ph.put("labels", y);
        double sdScore = sd.output(ph, loss.name()).get(loss.name()).getDouble(0);
        assertEquals(dl4jScore, sdScore, 1e-9 * Math.max(1, Math.abs(dl4jScore)), head + " loss");
        Map<String, INDArray> sdGrads = sd.calculateGradients(ph, names);
        for (String k : names) {
            INDArray expected = dl4jGrads.get(k).div(n).reshape(sdGrads.get(k).shape());
            assertClose(expected, sdGrads.get(k), 1e-8, head.getConfig().code() + " " + head.getLoss() + " " + k);
        }
    }
}
