package dev.infopro.dl4j.parity;

import dev.infopro.dl4j.backend.OneDnnHelpers;
import dev.infopro.dl4j.config.LambdaSchedule;
import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.interop.TorchWeightImport;
import dev.infopro.dl4j.models.CifarResNet;
import dev.infopro.dl4j.optim.TorchSgd;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * One InfoPro training step against an independent PyTorch implementation (fixture
 * {@code shared/parity/resnet8-k2-infopro-contrast}, see its README): ResNet-8 on 1x28x28 Fashion-MNIST, K = 2 cut
 * after {@code s1b0}, module 1 trained by 5 * BCE(decoder) + 1 * SupCon(1c2f head), module 2 by the network's CE,
 * TorchSgd lr 0.1 momentum 0.9 Nesterov, coupled weight decay 1e-4. Everything is built through the public API
 * (CifarResNet, LocalModuleGraph, TorchWeightImport) and one {@code fit(DataSet)} step is compared: module and head
 * losses, every gradient element (captured before the updater, i.e. without weight decay) and every parameter's L2
 * norm after the step.
 *
 * <p>Tolerances. Double: losses and norms 1e-8 relative, gradients 1e-6 relative per element plus 1e-9 absolute
 * (a conv bias before batch norm has an exactly-zero gradient, computed as rounding noise).
 *
 * <p>Float32 (what users train in; oneDNN helpers are active). Losses 1e-5 relative: a loss sums ~1e5 terms. The
 * decoder BCE is compared after one documented correction: float32's sigmoid rounds to exactly 1 for z &gt; ~16.6
 * and BCE then clamps log(1-p) at -100, as PyTorch's BCELoss does in float32 (the double fixture has no saturated
 * pixel); the expected float BCE replaces those terms by 100 (about 5% of the BCE here). Saturated pixels also get
 * no gradient (PyTorch float32 alike), which moves module 1's backbone and decoder gradients by up to ~2% of each
 * tensor's largest element; module 2's gradients differ by up to ~1.6% of the tensor maximum even from the exact
 * h1 (measured: the same with and without oneDNN helpers; batch-norm backward on a near-uniform CE cancels heavily).
 * Hence per element 1e-3 relative + 3e-2 of the tensor's max |grad| + 1e-4 absolute, and norms after the step
 * 2e-2 relative: a zero-initialised BN beta has norm 0.19 * |grad| after the step, so it inherits the gradient norm's
 * relative error (0.8% for s1b0_bn1 beta, from the saturated pixels).
 */
class ParityTest {

    private static final String FIXTURE = "resnet8-k2-infopro-contrast";

    /** Tolerances of one precision; see the class comment. */
    record Tol(double loss, double gradRel, double gradAbs, double gradAbsOfMax, double norm) {
    }

    static final Tol DOUBLE_TOL = new Tol(1e-8, 1e-6, 1e-9, 0.0, 1e-8);
    private static final Tol FLOAT_TOL = new Tol(1e-5, 1e-3, 1e-4, 3e-2, 2e-2);

    @Test
    void doublePrecisionStepMatchesPyTorch() throws IOException {
        runStep(DataType.DOUBLE, DOUBLE_TOL);
    }

    @Test
    void floatStepMatchesPyTorchWithinFloatPrecision() throws IOException {
        runStep(DataType.FLOAT, FLOAT_TOL);
    }

    /** Walks up from the working directory to the first folder holding {@code shared/parity}. */
    static Path fixtureDir() {
        for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path d = p.resolve("shared").resolve("parity");
            if (Files.isDirectory(d)) {
                return d.resolve(FIXTURE);
            }
        }
        return null;
    }

    /** Copies every module's gradient when it is computed, i.e. before weight decay and the updater. */
    private static final class GradientCapture extends BaseTrainingListener {
        final Map<Model, Map<String, INDArray>> grads = new IdentityHashMap<>();

        @Override
        public void onGradientCalculation(Model model) {
            Map<String, INDArray> copy = new HashMap<>();
            model.gradient().gradientForVariable().forEach((k, v) -> copy.put(k, v.dup()));
            grads.put(model, copy);
        }
    }

    private void runStep(DataType dt, Tol tol) throws IOException {
        Path dir = fixtureDir();
        assumeTrue(dir != null && Files.isDirectory(dir.resolve("npy")),
                "parity fixture shared/parity/" + FIXTURE + " not found above " + Paths.get("").toAbsolutePath());
        DataType oldType = Nd4j.dataType();
        DataType oldFloat = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(dt, dt);
        try {
            runStepIn(dir, dt, tol);
        } finally {
            Nd4j.setDefaultDataTypes(oldType, oldFloat);
        }
    }

    /** The DL4J model of the fixture (ResNet-8, K = 2 after s1b0, InfoPro Contrast) with the fixture's weights. */
    record Dl4jFixtureModel(LocalModuleGraph net, Map<String, String> mapping, JsonNode expected, double lr) {
    }

    /** Builds the fixture's model through the public API and loads the fixture's initial weights into it. */
    static Dl4jFixtureModel loadFixtureModel(Path dir, DataType dt) throws IOException {
        JsonNode expected = new ObjectMapper().readTree(dir.resolve("expected.json").toFile());
        double[] mean = {expected.get("norm_mean").get(0).asDouble()};
        double[] std = {expected.get("norm_std").get(0).asDouble()};
        double lr = expected.get("lr").asDouble();

        ComputationGraph graph = CifarResNet.builder().depth(8).channels(1).height(28).width(28).numClasses(10)
                .dataType(dt).build().init();
        LocalModuleGraph net = LocalModuleGraph.builder(graph)
                .inputTypes(InputType.convolutional(28, 28, 1))
                .cutAfter("s1b0")
                .method(LocalLearning.infoProContrast())
                .lambdas(LambdaSchedule.explicit(new double[]{5, 1}))
                .inputNormalization(mean, std)
                .updater(new TorchSgd(lr, null, 0.9, true))
                .weightDecay(1e-4)
                .build();
        Map<String, String> mapping = new LinkedHashMap<>(TorchWeightImport.cifarResNetMapping(8));
        mapping.putAll(TorchWeightImport.infoProHeadMapping(0));
        List<String> notLoaded = TorchWeightImport.load(TorchWeightImport.readNpyDirectory(dir.resolve("npy"),
                "init."), net, mapping);
        assertTrue(notLoaded.isEmpty(), "parameters without a fixture tensor: " + notLoaded);
        return new Dl4jFixtureModel(net, mapping, expected, lr);
    }

    /** The fixture batch: features, de-normalised image and one-hot labels. */
    static INDArray[] fixtureBatch(Path npy, DataType dt) {
        INDArray x = read(npy, "x", dt);
        INDArray x01 = read(npy, "x01", dt);
        INDArray cls = read(npy, "y", DataType.DOUBLE);
        int n = (int) x.size(0);
        INDArray y = Nd4j.zeros(dt, n, 10);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, cls.getInt(i), 1.0);
        }
        return new INDArray[]{x, x01, y};
    }

    private void runStepIn(Path dir, DataType dt, Tol tol) throws IOException {
        Dl4jFixtureModel model = loadFixtureModel(dir, dt);
        LocalModuleGraph net = model.net();
        Map<String, String> mapping = model.mapping();
        JsonNode expected = model.expected();
        Path npy = dir.resolve("npy");

        INDArray[] batch = fixtureBatch(npy, dt);
        INDArray x = batch[0];
        INDArray x01 = batch[1];
        INDArray y = batch[2];
        int n = (int) x.size(0);

        // Sanity of the import: the loaded parameters have the fixture's norms.
        for (JsonNode p : expected.get("parameters")) {
            double got = param(net, TorchWeightImport.resolve(p.get("name").asText(), net, mapping)).norm2Number()
                    .doubleValue();
            assertEquals(p.get("param_l2").asDouble(), got, tol.norm() * Math.max(1, p.get("param_l2").asDouble()),
                    "initial L2 of " + p.get("name").asText());
        }

        // Per-head losses of module 1 on a copy (a training-mode forward pass, same batch statistics as fit).
        HeadPass heads = headScores(OneDnnHelpers.patch(net.getModules().get(0).clone()), x, x01, y);

        GradientCapture capture = new GradientCapture();
        net.setListeners(capture);
        double[] scores = net.fit(new DataSet(x, y));

        JsonNode losses = expected.get("module_losses");
        double maxLossErr = 0;
        // In float32 the decoder's sigmoid rounds to exactly 1 (or 0) for |z| > ~16.6, and BCE then clamps that
        // log term at -100, exactly as PyTorch's BCELoss does in float32; the double fixture has no such pixel. The
        // expected float BCE is the fixture's with those terms replaced by 100 (0 in double precision).
        double bceExpected = losses.get(0).get("bce").asDouble() + saturationCorrection(heads, x01);
        double totalExpected = 5.0 * bceExpected + losses.get(0).get("supcon").asDouble();
        // Rounding the sigmoid output moves the BCE by up to this much whatever else the step computes (4.7e-4 in
        // float, 1.8e-4 relative, on this fixture), so a change in how the decoder's input is rounded moves it too.
        double sigmoidRounding = sigmoidRoundingBound(heads, x01);
        maxLossErr = Math.max(maxLossErr, checkRel("module 1 BCE", bceExpected, heads.bceScore() / 5.0,
                tol.loss() + sigmoidRounding / Math.abs(bceExpected)));
        maxLossErr = Math.max(maxLossErr, checkRel("module 1 SupCon", losses.get(0).get("supcon").asDouble(),
                heads.supConScore(), tol.loss()));
        maxLossErr = Math.max(maxLossErr, checkRel("module 1 total", totalExpected,
                scores[0], tol.loss() + 5.0 * sigmoidRounding / Math.abs(totalExpected)));
        maxLossErr = Math.max(maxLossErr, checkRel("module 2 CE", losses.get(1).get("ce").asDouble(),
                scores[1], tol.loss()));

        // Gradients: DL4J's raw gradient is the sum over the batch; the fixture's is of the mean loss.
        double[] gradErr = compareGradients(expected, npy, tol, name -> {
            TorchWeightImport.ParamRef ref = TorchWeightImport.resolve(name, net, mapping);
            Map<String, INDArray> g = capture.grads.get(net.getModules().get(ref.getModule()));
            assertNotNull(g, "no gradient captured for module " + ref.getModule());
            INDArray got = g.get(ref.key()).castTo(DataType.DOUBLE).div(n);
            return new INDArray[]{got, ref.toDl4jLayout(read(npy, "grad." + name, DataType.DOUBLE), got.shape())};
        });
        double maxGradRel = gradErr[0];
        double maxGradAbs = gradErr[1];
        double maxGradOfMax = gradErr[2];
        double maxNormErr = compareNormsAfterStep(expected, tol,
                name -> param(net, TorchWeightImport.resolve(name, net, mapping)).norm2Number().doubleValue());
        System.out.printf("ParityTest %s: max rel err losses %.3e, gradients %.3e (max abs %.3e, max abs / tensor"
                + " max %.3e), norms after step %.3e; saturated decoder pixels %d%n", dt, maxLossErr, maxGradRel,
                maxGradAbs, maxGradOfMax, maxNormErr, saturated(heads));
    }

    /**
     * Compares every fixture gradient with ours; {@code gotAndExpected} gives, for a PyTorch name, our mean
     * gradient and the fixture's in the same layout, both double. Fails listing every tensor out of tolerance.
     *
     * @return max relative error (where meaningful), max absolute error, max absolute error / tensor max
     */
    static double[] compareGradients(JsonNode expected, Path npy, Tol tol,
                                     java.util.function.Function<String, INDArray[]> gotAndExpected) {
        double maxGradRel = 0;
        double maxGradAbs = 0;
        double maxGradOfMax = 0;
        List<String> failures = new ArrayList<>();
        for (JsonNode p : expected.get("parameters")) {
            String name = p.get("name").asText();
            INDArray[] ge = gotAndExpected.apply(name);
            INDArray got = ge[0];
            INDArray exp = ge[1];
            INDArray absErr = Transforms.abs(got.sub(exp));
            INDArray absExp = Transforms.abs(exp);
            double floor = tol.gradAbs() + tol.gradAbsOfMax() * absExp.maxNumber().doubleValue();
            INDArray excess = absErr.sub(absExp.mul(tol.gradRel()).add(floor));
            if (excess.maxNumber().doubleValue() > 0) {
                failures.add(name + ": max abs err " + absErr.maxNumber() + ", max |grad| " + absExp.maxNumber());
            }
            maxGradAbs = Math.max(maxGradAbs, absErr.maxNumber().doubleValue());
            if (absExp.maxNumber().doubleValue() > 1e-9) {
                maxGradOfMax = Math.max(maxGradOfMax, absErr.maxNumber().doubleValue()
                        / absExp.maxNumber().doubleValue());
            }
            // Relative error where relative error is meaningful (above the absolute floor).
            INDArray meaningful = absExp.gt(Math.max(floor, 1e-9) / tol.gradRel()).castTo(DataType.DOUBLE);
            maxGradRel = Math.max(maxGradRel, absErr.mul(meaningful).div(absExp.add(1e-300)).maxNumber().doubleValue());
        }
        assertTrue(failures.isEmpty(), "gradients differ from PyTorch: " + failures);
        return new double[]{maxGradRel, maxGradAbs, maxGradOfMax};
    }

    /** Compares every parameter's L2 norm after the step ({@code norm} of a PyTorch name) with the fixture's. */
    static double compareNormsAfterStep(JsonNode expected, Tol tol, java.util.function.ToDoubleFunction<String> norm) {
        double maxNormErr = 0;
        for (JsonNode p : expected.get("parameters")) {
            String name = p.get("name").asText();
            maxNormErr = Math.max(maxNormErr, checkRel("L2 after step of " + name,
                    p.get("param_l2_after_step").asDouble(), norm.applyAsDouble(name), tol.norm()));
        }
        return maxNormErr;
    }

    // Scores of module 1's two output layers (lambda-weighted, as in the module's total) on a training-mode pass.
    private static HeadPass headScores(ComputationGraph m, INDArray x, INDArray x01, INDArray y) {
        Map<String, INDArray> acts = m.feedForward(new INDArray[]{x}, true, false);
        LayerWorkspaceMgr ws = LayerWorkspaceMgr.noWorkspaces();
        IOutputLayer dec = (IOutputLayer) m.getLayer("m0h0_out");
        dec.setInput(acts.get("m0h0_conv2"), ws);
        dec.setLabels(x01);
        IOutputLayer proj = (IOutputLayer) m.getLayer("m0h1_out");
        proj.setInput(acts.get("m0h1_fc1"), ws);
        proj.setLabels(y);
        double bce = dec.computeScore(0.0, true, ws);
        double supCon = proj.computeScore(0.0, true, ws);
        // Decoder logits z and p = sigmoid(z), both in the working precision, for the saturation correction.
        INDArray z = acts.get("m0h0_conv2");
        INDArray p = Transforms.sigmoid(z, true);
        return new HeadPass(bce, supCon, z, p);
    }

    /** Module 1's weighted head scores and the decoder's logits and probabilities of one training-mode pass. */
    private record HeadPass(double bceScore, double supConScore, INDArray z, INDArray p) {
    }

    /**
     * Mean BCE change when every log term whose probability rounded to exactly 0 or 1 is clamped at -100 instead of
     * its exact value: -(1-t) log(1-p) = softplus(z) becomes 100 where p == 1, -t log p = softplus(-z) where p == 0.
     */
    private static double saturationCorrection(HeadPass pass, INDArray x01) {
        double[] z = pass.z().castTo(DataType.DOUBLE).data().asDouble();
        double[] p = pass.p().castTo(DataType.DOUBLE).data().asDouble();
        double[] t = x01.castTo(DataType.DOUBLE).data().asDouble();
        double sum = 0;
        for (int i = 0; i < z.length; i++) {
            if (p[i] == 1.0) {
                sum += (1 - t[i]) * (100 - softplus(z[i]));
            } else if (p[i] == 0.0) {
                sum += t[i] * (100 - softplus(-z[i]));
            }
        }
        return sum / z.length;
    }

    /**
     * How far the mean BCE can move from rounding the decoder's sigmoid output alone, in the output's own precision:
     * each unsaturated pixel's term changes by up to (t / p + (1 - t) / (1 - p)) * ulp(p) / 2. Near 0 and 1, where
     * p or 1 - p is a few ulps, this dominates every other rounding error of the step.
     */
    private static double sigmoidRoundingBound(HeadPass pass, INDArray x01) {
        boolean isFloat = pass.p().dataType() == DataType.FLOAT;
        double[] p = pass.p().castTo(DataType.DOUBLE).data().asDouble();
        double[] t = x01.castTo(DataType.DOUBLE).data().asDouble();
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0 && p[i] < 1) {
                double ulp = isFloat ? Math.ulp((float) p[i]) : Math.ulp(p[i]);
                sum += (t[i] / p[i] + (1 - t[i]) / (1 - p[i])) * ulp / 2;
            }
        }
        return sum / p.length;
    }

    private static long saturated(HeadPass pass) {
        return pass.p().eq(1.0).castTo(DataType.INT32).sumNumber().longValue()
                + pass.p().eq(0.0).castTo(DataType.INT32).sumNumber().longValue();
    }

    private static double softplus(double v) {
        return Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
    }

    private static INDArray param(LocalModuleGraph net, TorchWeightImport.ParamRef ref) {
        return net.getModules().get(ref.getModule()).getLayer(ref.getLayer()).getParam(ref.getParam())
                .castTo(DataType.DOUBLE);
    }

    static double checkRel(String what, double expected, double actual, double tol) {
        double rel = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300);
        if (expected == 0.0) {
            rel = Math.abs(actual);
        }
        assertTrue(rel <= tol, what + ": expected " + expected + ", got " + actual + " (relative error " + rel
                + " > " + tol + ")");
        return rel;
    }

    static INDArray read(Path npy, String name, DataType dt) {
        return Nd4j.createFromNpyFile(npy.resolve(name + ".npy").toFile()).castTo(dt);
    }
}
