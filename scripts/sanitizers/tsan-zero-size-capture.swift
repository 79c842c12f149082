// The ThreadSanitizer crash of Swift 6.3.1 that ClientRestartTests once hit (issue 15), reduced:
//
//   swiftc -parse-as-library -sanitize=thread -Onone repro.swift -o repro && ./repro
//
// ends with "ThreadSanitizer: SEGV ... in draw(using:)" (from __tsan::ExternalAccess ->
// MemoryAccess, a WRITE to shadow memory) at the call inside the closure. The same program with
// a generator that has a stored property (`struct Counter { var state: UInt64 }`) runs clean.
//
// Why it is the toolchain's, not a race: `SystemRandomNumberGenerator` has no stored properties,
// so a closure that captures a `var` of it gets no storage for it; the address the closure
// passes for `&random` is whatever the compiler had at hand (0 in one build, an address inside
// the binary's .text in the run examined under gdb: `info symbol` on it names
// `__interceptor_pthread_mutex_unlock + 72`). The callee's inout-access instrumentation reports
// that address to TSan, which writes its shadow cell; TSan maps the shadow of read-only
// segments read-only (`/tmp/tsan.rodata.PID` in /proc/PID/maps), so the write faults. Nothing
// here runs concurrently. The call without the closure (the first line of main) runs clean
// here, but only by luck of the address: in the suite, a plain local passed inout in a loop
// (ClientCoreTests) crashed the same way. Workaround: pass inout only generators that have a
// stored property (the tests use SplitMix64, Tests/Support).
@inline(never)
func draw(using random: inout some RandomNumberGenerator) -> UInt64 {
    random.next()
}

@main struct Repro {
    static func main() {
        var random = SystemRandomNumberGenerator()
        print(draw(using: &random))  // fine: a local, not captured
        let others = (0..<20).map { _ in draw(using: &random) }  // SEGV under -sanitize=thread
        print(others.count)
    }
}
