package dev.infopro.dl4j.samediff;

import dev.infopro.dl4j.heads.AuxClassifierHead;
import dev.infopro.dl4j.heads.AuxNetConfig;
import dev.infopro.dl4j.heads.HeadContext;
import dev.infopro.dl4j.heads.HeadLoss;
import dev.infopro.dl4j.heads.ReconstructionHead;
import dev.infopro.dl4j.heads.SameDiffHeads;
import dev.infopro.dl4j.losses.InfoProLosses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.validation.GradCheckUtil;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finite-difference checks ({@link GradCheckUtil}, double precision) of the SameDiff losses and of the whole local
 * loss with the heads that SameDiff modules are trained by. (The heads against the DL4J heads: SameDiffHeadsTest;
 * whole modules against PyTorch: SameDiffParityTest.)
 */
@ExtendWith(DoublePrecision.class)
class SameDiffGradCheckTest {
    private static INDArray oneHot(int n, int k) {
        INDArray y = Nd4j.zeros(DataType.DOUBLE, n, k);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, (i * 7) % k, 1.0);
        }
        return y;
    }

    @Test
    void lossesPassGradientChecks() {
        Nd4j.getRandom().setSeed(4);
        SameDiff sd = SameDiff.create();
        SDVariable z = sd.var("z", Nd4j.randn(DataType.DOUBLE, 3, 2, 4, 4).muli(3)); // unsaturated: |z| << 27
        SDVariable t = sd.constant("t", Nd4j.rand(DataType.DOUBLE, 3, 2, 4, 4));
        SDVariable logits = sd.var("logits", Nd4j.randn(DataType.DOUBLE, 5, 4));
        SDVariable proj = sd.var("proj", Nd4j.randn(DataType.DOUBLE, 5, 6));
        SDVariable y = sd.constant("y", oneHot(5, 4));
        SDVariable loss = InfoProLosses.reconstructionBceFromLogits(sd, z, t)
                .add(InfoProLosses.softmaxCrossEntropy(sd, logits, y))
                .add(InfoProLosses.supCon(sd, proj, y, 0.5));
        sd.setLossVariables(loss);
        assertTrue(GradCheckUtil.checkGradients(sd, new HashMap<>(), 1e-6, 1e-5, 1e-8, false, false, false, false,
                null, null, 12, GradCheckUtil.Subset.EVERY_N));
    }

    /** The decoder's loss reports PyTorch's gradient: (p - y) scaled by p (1 - p) / 1e-12 where saturated. */
    @Test
    void saturatedBceGradientIsPyTorchs() {
        SameDiff sd = SameDiff.create();
        INDArray zArr = Nd4j.createFromArray(0.5, 30.0, -31.0, 10.0).reshape(1, 4);
        INDArray tArr = Nd4j.createFromArray(0.2, 0.3, 0.6, 1.0).reshape(1, 4);
        SDVariable z = sd.var("z", zArr);
        sd.setLossVariables(InfoProLosses.reconstructionBceFromLogits(sd, z, sd.constant("t", tArr)));
        INDArray g = sd.calculateGradients(new HashMap<>(), "z").get("z");
        for (int i = 0; i < 4; i++) {
            double p = 1 / (1 + Math.exp(-zArr.getDouble(i)));
            double pq = p * (1 - p);
            double expected = (p - tArr.getDouble(i)) / Math.max(pq, 1e-12) * pq / 4;
            assertEquals(expected, g.getDouble(i), 1e-15 + 1e-12 * Math.abs(expected), "element " + i);
        }
    }

    @Test
    void localLossWithHeadsPassesGradientChecks() {
        Nd4j.getRandom().setSeed(5);
        for (HeadLoss mode : HeadLoss.values()) {
            SameDiff sd = SameDiff.create();
            SDVariable h = sd.var("h", Nd4j.randn(DataType.DOUBLE, 4, 3, 2, 2));
            SDVariable x01 = sd.constant("x01", Nd4j.rand(DataType.DOUBLE, 4, 1, 4, 4));
            SDVariable y = sd.constant("y", oneHot(4, 3));
            HeadContext ctx = HeadContext.builder().numClasses(3).imageChannels(1).imageHeight(4).imageWidth(4)
                    .build();
            SDVariable loss = SameDiffHeads.infoPro(sd, h, x01, y, 2.0, 0.5, new ReconstructionHead(0.25),
                    new AuxClassifierHead(AuxNetConfig.C1F2, mode, 0.125, 8, 0.5), 3, 2, 2, ctx, "m0h0_", "m0h1_");
            sd.setLossVariables(loss);
            // Up to 6 elements per parameter (every n-th): the whole graph runs twice per element checked.
            assertTrue(GradCheckUtil.checkGradients(sd, new HashMap<>(), 1e-6, 1e-4, 1e-7, false, false, false,
                    false, null, null, 6, GradCheckUtil.Subset.EVERY_N), mode.toString());
        }
    }
}
