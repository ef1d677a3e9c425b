package dev.infopro.dl4j.parity;

import dev.infopro.dl4j.config.LambdaSchedule;
import dev.infopro.dl4j.config.LocalLearning;
import dev.infopro.dl4j.data.Normalization;
import dev.infopro.dl4j.engine.LocalModuleGraph;
import dev.infopro.dl4j.engine.ModuleStepResult;
import dev.infopro.dl4j.interop.TorchWeightImport;
import dev.infopro.dl4j.models.CifarResNet;
import dev.infopro.dl4j.optim.TorchSgd;
import dev.infopro.dl4j.samediff.SameDiffLocalModel;
import dev.infopro.dl4j.samediff.SameDiffModuleTrainer;
import dev.infopro.dl4j.samediff.SameDiffNetwork;
import dev.infopro.dl4j.samediff.SameDiffResNet;
import org.deeplearning4j.nn.api.Layer;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The SameDiff path against the same PyTorch fixture as {@link ParityTest} (ResNet-8 on 1x28x28, K = 2 cut after
 * {@code s1b0}, 5 * BCE + 1 * SupCon, TorchSgd lr 0.1 Nesterov, weight decay 1e-4), in double precision with the
 * same tolerances: losses 1e-8, every gradient element 1e-6 relative + 1e-9 absolute, every parameter's L2 norm
 * after the step 1e-8. The fixture's initial weights reach the SameDiff modules through the DL4J model
 * ({@code TorchWeightImport}), copied by DL4J parameter key, so this also shows that the two paths share names and
 * layouts. One step as the engine's sequential executor runs it: both modules' gradients, then both updates.
 */
class SameDiffParityTest {

    @Test
    void doublePrecisionStepMatchesPyTorch() throws IOException {
        inDouble(false);
    }

    /**
     * The same step through {@code SameDiffNetwork.fromGraph}: the ResNet as one plain SameDiff graph (batch norm on
     * batch statistics), cut at the variable that unit {@code s1b0} outputs. This checks the graph import (segments,
     * op copies, parameter values and names) against the fixture.
     */
    @Test
    void importedGraphStepMatchesPyTorch() throws IOException {
        inDouble(true);
    }

    private void inDouble(boolean importedGraph) throws IOException {
        Path dir = ParityTest.fixtureDir();
        assumeTrue(dir != null && Files.isDirectory(dir.resolve("npy")), "parity fixture not found");
        DataType oldType = Nd4j.dataType();
        DataType oldFloat = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            runStep(dir, importedGraph);
        } finally {
            Nd4j.setDefaultDataTypes(oldType, oldFloat);
        }
    }

    private void runStep(Path dir, boolean importedGraph) throws IOException {
        DataType dt = DataType.DOUBLE;
        ParityTest.Dl4jFixtureModel fixture = ParityTest.loadFixtureModel(dir, dt);
        JsonNode expected = fixture.expected();
        SameDiffNetwork resnet = SameDiffResNet.of(CifarResNet.builder().depth(8).channels(1).height(28).width(28)
                .numClasses(10).dataType(dt).build());
        String cut = "s1b0";
        if (importedGraph) {
            SameDiff graph = SameDiff.create();
            SDVariable x = graph.placeHolder("image", dt, -1, 1, 28, 28);
            List<String> units = resnet.getUnitNames();
            for (int i = 0; i < units.size(); i++) {
                x = resnet.define(graph, x, i, i + 1, true);
                if (units.get(i).equals("s1b0")) {
                    cut = x.name();
                }
            }
            resnet = SameDiffNetwork.fromGraph(graph).output(x.name()).build();
        }
        SameDiffLocalModel sd = SameDiffLocalModel.builder(resnet)
                .cutAfter(cut)
                .method(LocalLearning.infoProContrast())
                .lambdas(LambdaSchedule.explicit(new double[]{5, 1}))
                .inputNormalization(Normalization.of(new double[]{expected.get("norm_mean").get(0).asDouble()},
                        new double[]{expected.get("norm_std").get(0).asDouble()}))
                .updater(new TorchSgd(fixture.lr(), null, 0.9, true))
                .weightDecay(1e-4)
                .build();
        copyWeights(fixture.net(), sd, !importedGraph);

        Path npy = dir.resolve("npy");
        INDArray[] batch = ParityTest.fixtureBatch(npy, dt);
        int n = (int) batch[0].size(0);
        List<SameDiffModuleTrainer> t = sd.getTrainers();
        ModuleStepResult r0 = t.get(0).computeGradient(new INDArray[]{batch[0]}, new INDArray[]{batch[1], batch[2]},
                0, 0);
        Map<String, INDArray> g0 = copy(t.get(0).getGradients());
        ModuleStepResult r1 = t.get(1).computeGradient(new INDArray[]{r0.getCutActivation()},
                new INDArray[]{batch[2]}, 0, 0);
        Map<String, INDArray> g1 = copy(t.get(1).getGradients());

        ParityTest.Tol tol = ParityTest.DOUBLE_TOL;
        JsonNode losses = expected.get("module_losses");
        double maxLossErr = 0;
        maxLossErr = Math.max(maxLossErr, ParityTest.checkRel("module 1 BCE", losses.get(0).get("bce").asDouble(),
                t.get(0).getLossParts().get("m0h0_loss"), tol.loss()));
        maxLossErr = Math.max(maxLossErr, ParityTest.checkRel("module 1 SupCon",
                losses.get(0).get("supcon").asDouble(), t.get(0).getLossParts().get("m0h1_loss"), tol.loss()));
        maxLossErr = Math.max(maxLossErr, ParityTest.checkRel("module 1 total", losses.get(0).get("loss").asDouble(),
                r0.getScore(), tol.loss()));
        maxLossErr = Math.max(maxLossErr, ParityTest.checkRel("module 2 CE", losses.get(1).get("ce").asDouble(),
                r1.getScore(), tol.loss()));

        LocalModuleGraph net = fixture.net();
        Map<String, String> mapping = fixture.mapping();
        double[] gradErr = ParityTest.compareGradients(expected, npy, tol, name -> {
            TorchWeightImport.ParamRef ref = TorchWeightImport.resolve(name, net, mapping);
            INDArray got = (ref.getModule() == 0 ? g0 : g1).get(ref.key());
            assertNotNull(got, "no SameDiff gradient for " + ref.key());
            long[] dl4jShape = net.getModules().get(ref.getModule()).getLayer(ref.getLayer())
                    .getParam(ref.getParam()).shape();
            INDArray exp = ref.toDl4jLayout(ParityTest.read(npy, "grad." + name, DataType.DOUBLE), dl4jShape);
            return new INDArray[]{got, exp.reshape(got.shape())};
        });

        t.get(0).applyUpdate(0, 0, n);
        t.get(1).applyUpdate(0, 0, n);
        Map<String, INDArray> state = sd.stateArrays();
        double maxNormErr = ParityTest.compareNormsAfterStep(expected, tol,
                name -> state.get(TorchWeightImport.resolve(name, net, mapping).key()).norm2Number().doubleValue());
        System.out.printf("SameDiffParityTest DOUBLE: max rel err losses %.3e, gradients %.3e (max abs %.3e), norms"
                + " after step %.3e%n", maxLossErr, gradErr[0], gradErr[1], maxNormErr);
    }

    /**
     * Every DL4J module parameter onto the SameDiff variable of the same key; every SameDiff array must get one.
     * Without {@code statistics} the SameDiff model keeps no running statistics (a graph's ops run as they are), so
     * the DL4J ones are skipped.
     */
    static void copyWeights(LocalModuleGraph from, SameDiffLocalModel to, boolean statistics) {
        Map<String, INDArray> state = to.stateArrays();
        Set<String> assigned = new HashSet<>();
        for (var g : from.getModules()) {
            for (Layer l : g.getLayers()) {
                String layer = l.conf().getLayer().getLayerName();
                for (Map.Entry<String, INDArray> p : l.paramTable().entrySet()) {
                    boolean stat = p.getKey().equals("mean") || p.getKey().equals("var");
                    if (stat && (!statistics || layer.matches("m\\d+h\\d+_.*"))) {
                        continue; // heads train only, so the SameDiff heads keep no running statistics
                    }
                    INDArray target = state.get(layer + "_" + p.getKey());
                    assertNotNull(target, "no SameDiff array for DL4J parameter " + layer + "_" + p.getKey());
                    target.assign(p.getValue().reshape(target.shape()));
                    assigned.add(layer + "_" + p.getKey());
                }
            }
        }
        assertEquals(state.keySet(), assigned, "every SameDiff parameter and statistic has a DL4J twin");
    }

    private static Map<String, INDArray> copy(Map<String, INDArray> m) {
        Map<String, INDArray> c = new HashMap<>();
        m.forEach((k, v) -> c.put(k, v.dup()));
        return c;
    }
}
