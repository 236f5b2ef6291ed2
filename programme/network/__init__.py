"""The service network (服务网络): the education service stations (市级农民工教育服务站) city unions register and the
service points (县级教育服务点) county unions register, where workers go to ask and enrol. Imports only `app`, so
any programme subpackage may show a worker their nearest point."""
