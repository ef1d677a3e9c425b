package dev.infopro.dl4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Usage mistakes get one clear line on stderr and exit code 2, without a stack trace. */
class CliUsageTest {

    /** Exit code and stderr of one invocation. */
    static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = InfoproCli.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new String[]{String.valueOf(code), err.toString(), out.toString()};
    }

    static void assertUsageError(String expectedText, String... args) {
        String[] r = run(args);
        assertEquals("2", r[0], "exit code for " + String.join(" ", args) + "; stderr: " + r[1]);
        assertTrue(r[1].contains(expectedText), "stderr should contain '" + expectedText + "' but was: " + r[1]);
        assertFalse(r[1].contains("\tat "), "no stack trace without --debug: " + r[1]);
        assertTrue(r[1].startsWith("infopro: "), r[1]);
    }

    @Test
    void unknownFlag() {
        assertUsageError("Unknown option: '--bogus'", "train", "--bogus", "--out", "x");
    }

    @Test
    void unknownCommand() {
        assertUsageError("Unmatched argument", "fly");
    }

    @Test
    void badValues(@TempDir Path dir) {
        String out = dir.resolve("run").toString();
        assertUsageError("--method sgd is unknown; use one of e2e, greedy, infopro-softmax, infopro-contrast",
                "train", "--method", "sgd", "--out", out);
        assertUsageError("--arch resnet21 is not a CIFAR ResNet", "train", "--arch", "resnet21", "--out", out);
        assertUsageError("Invalid value for option '--epochs'", "train", "--epochs", "two", "--out", out);
        assertUsageError("--epochs 0 is too small: use 1 or more", "train", "--epochs", "0", "--out", out);
        assertUsageError("--batch -3 is too small: use 1 or more", "train", "--batch", "-3", "--out", out);
        assertUsageError("--train-subset -5 is too small: use 0 or more", "train", "--train-subset", "-5", "--out", out);
        assertUsageError("--lr 0.0 is not a learning rate: use a number above 0", "train", "--lr", "0", "--out", out);
        assertUsageError("--warmup -1 is too small: use 0 or more", "bench", "step", "--warmup", "-1");
        assertUsageError("--k 0 is too small: use 1 or more", "memory", "--k", "1,0");
        assertUsageError("--aggregation-depth 0 is too small: use 1 or more",
                "train", "--spark", "local[1]", "--aggregation-depth", "0", "--out", out);
        assertUsageError("--input 3x0x32 is not CxHxW", "bench", "step", "--input", "3x0x32");
        assertUsageError("--method e2e needs --k 1 and a local method --k 2 or more, got --method e2e --k 4",
                "bench", "step", "--k", "4");
        assertUsageError("got --method infopro-contrast --k 1", "bench", "step", "--method", "infopro-contrast");
        assertUsageError("--method sgd is unknown", "bench", "step", "--method", "sgd", "--k", "2");
        assertUsageError("--on-nan ignore is unknown; use stop or skip-batch",
                "train", "--on-nan", "ignore", "--data", "fashion-mnist", "--train-subset", "64", "--out", out);
        assertUsageError("--schedule step is unknown", "train", "--schedule", "step", "--out", out);
        assertUsageError("--lambdas needs four numbers", "train", "--lambdas", "1,2", "--out", out);
        assertUsageError("--methods e2e,greedy,e2e lists a value twice: list each once",
                "compare", "--methods", "e2e,greedy,e2e", "--out", out);
        assertUsageError("--ks 2,4,2 lists a value twice", "compare", "--ks", "2,4,2", "--out", out);
        assertUsageError("--ks 1 is too small: use 2 or more", "compare", "--ks", "1", "--out", out);
        assertUsageError("--k 3 and --cuts disagree: 1 cut makes K = 2; give one of them",
                "train", "--k", "3", "--cuts", "s1b0", "--out", out);
        assertUsageError("--method e2e trains the network as one module: drop --k 4, or choose a local method",
                "train", "--method", "e2e", "--k", "4", "--out", out);
        assertUsageError("--method e2e trains the network as one module: drop --cuts, or choose a local method",
                "train", "--method", "e2e", "--cuts", "s1b0", "--out", out);
    }

    @Test
    void zooNetworks(@TempDir Path dir) {
        String out = dir.resolve("run").toString();
        assertUsageError("--arch zoo:AlexNet is not a zoo network this tool converts: use zoo:NAME with NAME one of"
                + " [ResNet50, VGG16, Darknet19, SqueezeNet, Xception, InceptionResNetV1]",
                "train", "--arch", "zoo:AlexNet", "--out", out);
        assertUsageError("--arch zoo:VGG16 needs images of at least 32x32, the data has 1x28x28",
                "train", "--arch", "zoo:vgg16", "--method", "infopro-contrast", "--k", "4", "--train-subset", "64",
                "--test-subset", "64", "--out", out);
        assertUsageError("--balanced is the paper's InfoPro* table for CIFAR ResNets; --arch zoo:ResNet50 is always"
                + " split by --k", "train", "--arch", "zoo:ResNet50", "--k", "4", "--balanced", "--out", out);
        assertUsageError("--arch zoo:ResNet50 needs images of at least 75x75, the data has 3x32x32",
                "memory", "--arch", "zoo:ResNet50", "--input", "3x32x32");
    }

    @Test
    void missingDataDirectory(@TempDir Path dir) {
        assertUsageError("directory /no/such/cifar does not exist",
                "train", "--data", "cifar10:/no/such/cifar", "--out", dir.resolve("run").toString());
        assertUsageError("unknown dataset 'imagenet'", "train", "--data", "imagenet:" + dir,
                "--out", dir.resolve("run").toString());
    }

    @Test
    void missingOutAndBadResume(@TempDir Path dir) {
        assertUsageError("train needs --out DIR (or --resume RUN_DIR)", "train");
        assertUsageError("is not a run directory of 'infopro train'", "train", "--resume", dir.toString());
    }

    @Test
    void unwritableOutputDirectory() {
        assertUsageError("is not writable", "train", "--out", "/proc/infopro-test-run");
    }

    @Test
    void invalidCutsAndTooManyModules(@TempDir Path dir) {
        String out = dir.resolve("run").toString();
        // s1b0_conv1 is inside a residual block: the skip connection crosses the cut
        assertUsageError("s1b0_conv1", "train", "--arch", "resnet8", "--cuts", "s1b0_conv1", "--train-subset", "64",
                "--out", out);
        assertUsageError("Valid cut vertices", "train", "--arch", "resnet8", "--cuts", "nope", "--train-subset", "64",
                "--out", out);
        assertUsageError("at most 4 modules", "train", "--arch", "resnet8", "--k", "9", "--train-subset", "64",
                "--out", out);
    }

    @Test
    void doctorNamesTheBackendAndTheGpus() {
        String[] r = run("doctor", "--json");
        assertEquals("0", r[0], r[1]);
        assertTrue(r[2].contains("\"backend\":\"CpuBackend (CPU)\""), r[2]);
        assertTrue(r[2].contains("\"onednn_helpers\":"), r[2]);
        assertTrue(r[2].contains("\"cuda_backend_on_classpath\":false"), r[2]);
        assertTrue(r[2].contains("\"gpus\":["), r[2]);
        assertTrue(r[2].contains("\"allocator\":\"" + (System.getenv().getOrDefault("LD_PRELOAD", "")
                .contains("tcmalloc") ? "tcmalloc" : "glibc")), r[2]);
        // this JVM's environment, as the test runner started it; the tool's main would set the spin count itself
        boolean chosen = System.getenv("GOMP_SPINCOUNT") != null || System.getenv("OMP_WAIT_POLICY") != null
                || System.getenv("OPENBLAS_THREAD_TIMEOUT") != null;
        assertTrue(r[2].contains("\"idle_native_threads\":\"" + (chosen ? "GOMP_SPINCOUNT=" : "the libraries' defaults")),
                r[2]);
    }
}
