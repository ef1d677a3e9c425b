package dev.infopro.dl4j.losses;

import dev.infopro.dl4j.layers.BilinearUpsampling2D;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.util.FeatureUtil;

import java.util.HashMap;

import static dev.infopro.dl4j.TestArrays.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InfoProLossesTest {

    @BeforeAll
    static void doublePrecision() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }


    @Test
    void supConMatchesTheDl4jLoss() {
        Nd4j.getRandom().setSeed(21);
        INDArray z = Nd4j.randn(DataType.DOUBLE, 7, 5);
        INDArray y = FeatureUtil.toOutcomeMatrix(new int[]{0, 1, 0, 2, 1, 0, 3}, 4);
        SameDiff sd = SameDiff.create();
        SDVariable zv = sd.var("z", z.dup());
        SDVariable lv = sd.constant("labels", y);
        SDVariable loss = InfoProLosses.supCon(sd, zv, lv, 0.07);
        sd.setLossVariables(loss);
        double sdLoss = loss.eval().getDouble(0);
        LossSupCon dl4j = new LossSupCon(0.07, 1.0);
        assertEquals(dl4j.computeScore(y, z, new ActivationIdentity(), null, true), sdLoss, 1e-9);
        INDArray g = sd.calculateGradients(new HashMap<>(), "z").get("z");
        assertClose(dl4j.computeGradient(y, z, new ActivationIdentity(), null).div(7), g, 1e-9, "dSupCon/dz");
        assertThrows(IllegalArgumentException.class, () -> InfoProLosses.supCon(sd, zv, lv, 0.0));
    }

    @Test
    void supConOfOneExampleAndAtASmallTemperatureMatchesTheDl4jLoss() {
        INDArray[] zs = {Nd4j.create(new double[][]{{0.3, -1.2, 0.5}}), Nd4j.create(new double[][]{{1, 0}, {-1, 0}, {0, 1}})};
        INDArray[] ys = {FeatureUtil.toOutcomeMatrix(new int[]{2}, 3), FeatureUtil.toOutcomeMatrix(new int[]{0, 0, 1}, 2)};
        double[] taus = {0.07, 0.001};
        for (int c = 0; c < 2; c++) {
            SameDiff sd = SameDiff.create();
            SDVariable zv = sd.var("z", zs[c].dup());
            SDVariable loss = InfoProLosses.supCon(sd, zv, sd.constant("labels", ys[c]), taus[c]);
            sd.setLossVariables(loss);
            LossSupCon dl4j = new LossSupCon(taus[c], 1.0);
            // LossSupConTest has these two cases in closed form: loss 0 for one example, 2000 / 3 at tau = 0.001
            assertEquals(dl4j.computeScore(ys[c], zs[c], new ActivationIdentity(), null, true), loss.eval().getDouble(0),
                    1e-9, "case " + c);
            assertEquals(c == 0 ? 0.0 : 2000.0 / 3, loss.eval().getDouble(0), 1e-9, "case " + c);
            INDArray g = sd.calculateGradients(new HashMap<>(), "z").get("z");
            assertClose(dl4j.computeGradient(ys[c], zs[c], new ActivationIdentity(), null).div(zs[c].size(0)), g, 1e-9,
                    "dSupCon/dz, case " + c);
        }
    }

    @Test
    void reconstructionBceMatchesTheDl4jLoss() {
        Nd4j.getRandom().setSeed(22);
        INDArray logits = Nd4j.randn(DataType.DOUBLE, 4, 6).muli(3);
        INDArray target = Nd4j.rand(DataType.DOUBLE, 4, 6);
        SameDiff sd = SameDiff.create();
        SDVariable lv = sd.var("logits", logits.dup());
        SDVariable loss = InfoProLosses.reconstructionBce(sd, sd.nn.sigmoid(lv), sd.constant(target));
        sd.setLossVariables(loss);
        LossBinaryCrossEntropy bce = new LossBinaryCrossEntropy();
        assertEquals(bce.computeScore(target, logits, Activation.SIGMOID.getActivationFunction(), null, true),
                loss.eval().getDouble(0), 1e-12);
        INDArray g = sd.calculateGradients(new HashMap<>(), "logits").get("logits");
        assertClose(bce.computeGradient(target, logits, Activation.SIGMOID.getActivationFunction(), null).div(4), g,
                1e-12, "dBCE/dlogits");
    }

    @Test
    void bilinearUpsampleMatchesTheDl4jLayerForwardAndBackward() {
        Nd4j.getRandom().setSeed(23);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 3, 3, 5);
        INDArray gOut = Nd4j.rand(DataType.DOUBLE, 2, 3, 7, 11);
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
                .graphBuilder().addInputs("in").setInputTypes(InputType.convolutional(3, 5, 3))
                .addLayer("up", new BilinearUpsampling2D(7, 11), "in").setOutputs("up").build());
        net.init();
        org.deeplearning4j.nn.api.Layer layer = net.getLayer("up");
        layer.setInput(x, LayerWorkspaceMgr.noWorkspaces());
        INDArray yDl4j = layer.activate(true, LayerWorkspaceMgr.noWorkspaces());
        INDArray dxDl4j = layer.backpropGradient(gOut, LayerWorkspaceMgr.noWorkspaces()).getSecond();

        SameDiff sd = SameDiff.create();
        SDVariable xv = sd.var("x", x.dup());
        SDVariable up = InfoProLosses.bilinearUpsample(sd, xv, 7, 11);
        SDVariable loss = up.mul(sd.constant(gOut)).sum();
        sd.setLossVariables(loss);
        assertClose(yDl4j, up.eval(), 1e-12, "forward");
        assertClose(dxDl4j, sd.calculateGradients(new HashMap<>(), "x").get("x"), 1e-12, "backward");
        SDVariable unknown = sd.placeHolder("p", DataType.DOUBLE, -1, -1, -1, -1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> InfoProLosses.bilinearUpsample(sd, unknown, 4, 4));
        assertTrue(e.getMessage().contains("known C, H, W"), e.getMessage());
    }
}
