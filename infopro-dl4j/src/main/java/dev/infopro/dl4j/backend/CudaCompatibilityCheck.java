package dev.infopro.dl4j.backend;

import org.nd4j.linalg.env.EnvironmentalAction;

import java.util.Optional;

/**
 * Stops ND4J's CUDA backend from starting on a GPU that its 1.0.0-M2.1 build cannot run on, with a message that
 * says why ({@link CudaSupport#problem}), instead of CUDA's "no kernel image is available for execution on the
 * device" at the first kernel launch. ND4J creates every {@link EnvironmentalAction} service while it initialises, so
 * the check runs once, before any array exists; it does nothing unless the CUDA backend is on the classpath.
 *
 * <p>The failure surfaces as ND4J's initialisation error, with this message as its cause. Skip the check with
 * {@code -D}{@value #SKIP_PROPERTY}{@code =true} or the environment variable {@value #SKIP_ENV}{@code =true}.
 */
public class CudaCompatibilityCheck implements EnvironmentalAction {
    /** System property that skips the check. */
    public static final String SKIP_PROPERTY = "infopro.cuda.skipCheck";
    /** Environment variable that skips the check. */
    public static final String SKIP_ENV = "INFOPRO_CUDA_SKIP_CHECK";

    /** Runs the check; throws {@link IllegalStateException} when no listed GPU can run the CUDA build. */
    public CudaCompatibilityCheck() {
        if (Boolean.getBoolean(SKIP_PROPERTY) || "true".equalsIgnoreCase(System.getenv(SKIP_ENV))
                || !CudaSupport.cudaBackendPresent()) {
            return;
        }
        Optional<String> problem = CudaSupport.problem(CudaSupport.queryGpus());
        if (problem.isPresent()) {
            throw new IllegalStateException(problem.get());
        }
    }

    @Override
    public String targetVariable() {
        return SKIP_ENV;
    }

    @Override
    public void process(String value) {
        // the constructor already honoured the variable
    }
}
