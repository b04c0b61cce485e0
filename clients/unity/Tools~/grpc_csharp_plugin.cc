// protoc plugin that writes the C# gRPC client stubs (<File>Grpc.cs).
//
// Debian ships gRPC's C# generator inside libgrpc_plugin_support but not the
// grpc_csharp_plugin executable around it; this is that executable, built by
// `make clients` against the system libraries (same options as upstream).
#include <google/protobuf/compiler/code_generator.h>
#include <google/protobuf/compiler/csharp/csharp_names.h>
#include <google/protobuf/compiler/plugin.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace grpc_csharp_generator {
// Exported by libgrpc_plugin_support (src/compiler/csharp_generator.h upstream).
std::string GetServices(const google::protobuf::FileDescriptor* file,
                        bool generate_client, bool generate_server,
                        bool internal_access);
}  // namespace grpc_csharp_generator

namespace {

using google::protobuf::FileDescriptor;
using google::protobuf::compiler::CodeGenerator;
using google::protobuf::compiler::GeneratorContext;

class CSharpGrpcGenerator : public CodeGenerator {
 public:
  uint64_t GetSupportedFeatures() const override {
    return FEATURE_PROTO3_OPTIONAL;
  }

  bool Generate(const FileDescriptor* file, const std::string& parameter,
                GeneratorContext* context, std::string* error) const override {
    std::vector<std::pair<std::string, std::string>> options;
    google::protobuf::compiler::ParseGeneratorParameter(parameter, &options);

    bool generate_client = true;
    bool generate_server = true;
    bool internal_access = false;
    for (const auto& option : options) {
      if (option.first == "no_client") {
        generate_client = false;
      } else if (option.first == "no_server") {
        generate_server = false;
      } else if (option.first == "internal_access") {
        internal_access = true;
      } else {
        *error = "unknown option: " + option.first +
                 " (known: no_client, no_server, internal_access)";
        return false;
      }
    }

    std::string code = grpc_csharp_generator::GetServices(
        file, generate_client, generate_server, internal_access);
    if (code.empty()) return true;  // no services in this file

    std::string file_name = google::protobuf::compiler::csharp::GetOutputFile(
        file, "Grpc.cs", false, "", error);
    if (file_name.empty()) return false;
    std::unique_ptr<google::protobuf::io::ZeroCopyOutputStream> output(
        context->Open(file_name));
    google::protobuf::io::CodedOutputStream coded_out(output.get());
    coded_out.WriteRaw(code.data(), static_cast<int>(code.size()));
    return true;
  }
};

}  // namespace

int main(int argc, char* argv[]) {
  CSharpGrpcGenerator generator;
  return google::protobuf::compiler::PluginMain(argc, argv, &generator);
}
